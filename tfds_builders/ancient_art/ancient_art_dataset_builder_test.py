"""TFDS conformance test of ancient_art over a dummy labels.csv with a split column and messy values."""

import tensorflow_datasets as tfds

from tfds_builders.ancient_art import ancient_art_dataset_builder


class AncientArtTest(tfds.testing.DatasetBuilderTestCase):
    DATASET_CLASS = ancient_art_dataset_builder.Builder
    SPLITS = {"train": 9, "val": 3, "test": 2}  # train also lists a missing file and an unlabelled row
    SKIP_CHECKSUMS = True


if __name__ == "__main__":
    tfds.testing.test_main()
