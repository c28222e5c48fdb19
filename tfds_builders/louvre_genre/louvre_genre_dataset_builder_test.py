"""TFDS conformance test of louvre_genre over dummy_data in the repository's own layout."""

import tensorflow_datasets as tfds

from tfds_builders.louvre_genre import louvre_genre_dataset_builder


class LouvreGenreTest(tfds.testing.DatasetBuilderTestCase):
    DATASET_CLASS = louvre_genre_dataset_builder.Builder
    SPLITS = {"train": 8, "val": 4, "test": 4}
    SKIP_CHECKSUMS = True  # manual data only in tests; the download mode has no registered checksums


if __name__ == "__main__":
    tfds.testing.test_main()
