"""Classical computer vision beside the deep models: bag of visual words + SVM, and SIFT image matching."""
