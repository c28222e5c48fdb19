"""The visual vocabulary: K-means over local descriptors, and one word histogram per image.

The vocabulary is scikit-learn's MiniBatchKMeans (k-means++ seeding) fitted on a seeded sample of the
training descriptors, standing in for OpenCV's BOWKMeansTrainer (gone from OpenCV 5). Each image becomes its
visual-word counts, then tf-idf weighted (scikit-learn's TfidfTransformer) or not, and L2-normalised.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
from sklearn.cluster import MiniBatchKMeans
from sklearn.feature_extraction.text import TfidfTransformer
from sklearn.preprocessing import Normalizer
from threadpoolctl import threadpool_limits

from artzoo.classical.features import as_float_descriptors
from artzoo.errors import ArtzooError


class VisualVocabulary:
    """Visual words of one detector's descriptors, with the histogram weighting fitted on training images."""

    def __init__(self, size: int, detector: str, tfidf: bool = False, sample: int = 100_000, seed: int = 42):
        if size < 2:
            raise ArtzooError(f"vocabulary size {size} is too small; expected at least 2 visual words")
        self.size = size
        self.detector = detector
        self.tfidf = tfidf
        self.sample = sample
        self.seed = seed
        self.kmeans: MiniBatchKMeans | None = None
        self.weighting = TfidfTransformer(norm="l2") if tfidf else Normalizer(norm="l2")

    def fit(self, descriptors: Sequence[np.ndarray]) -> "VisualVocabulary":
        """Clusters a sample of all images' descriptors, then fits the weighting on their word counts."""
        pool = self._sample(descriptors)
        if len(pool) < self.size:
            raise ArtzooError(
                f"only {len(pool)} descriptors in the training images for a vocabulary of {self.size} words; "
                "lower --vocab or use images with more texture"
            )
        self.kmeans = MiniBatchKMeans(n_clusters=self.size, batch_size=4096, n_init=3, random_state=self.seed)
        # One BLAS/OpenMP thread: on the shared 2-core machine two spinning threads made this 7x slower.
        with threadpool_limits(limits=1):
            self.kmeans.fit(pool)
        self.weighting.fit(self.counts(descriptors))
        return self

    def counts(self, descriptors: Sequence[np.ndarray]) -> np.ndarray:
        """Raw visual-word counts, one row per image; an image without descriptors is a row of zeros."""
        if self.kmeans is None:
            raise RuntimeError("VisualVocabulary.fit must run before counts")
        rows = np.zeros((len(descriptors), self.size), dtype=np.float64)
        with threadpool_limits(limits=1):
            for i, d in enumerate(descriptors):
                if len(d):
                    words = self.kmeans.predict(as_float_descriptors(d, self.detector))
                    rows[i] = np.bincount(words, minlength=self.size)
        return rows

    def histograms(self, descriptors: Sequence[np.ndarray]) -> np.ndarray:
        """Weighted, L2-normalised word histograms (zero rows stay zero)."""
        out = self.weighting.transform(self.counts(descriptors))
        return np.asarray(out.toarray() if hasattr(out, "toarray") else out, dtype=np.float64)

    def parameter_count(self) -> int:
        """Learned numbers: the cluster centres, plus the idf weights when tf-idf is on."""
        centres = int(self.kmeans.cluster_centers_.size) if self.kmeans is not None else 0
        return centres + (self.size if self.tfidf else 0)

    def _sample(self, descriptors: Sequence[np.ndarray]) -> np.ndarray:
        non_empty = [d for d in descriptors if len(d)]
        if not non_empty:
            return np.zeros((0, 1), dtype=np.float32)
        total = sum(len(d) for d in non_empty)
        rng = np.random.default_rng(self.seed)
        stacked = np.concatenate(non_empty)
        if total > self.sample:
            stacked = stacked[np.sort(rng.choice(total, size=self.sample, replace=False))]
        return as_float_descriptors(stacked, self.detector)
