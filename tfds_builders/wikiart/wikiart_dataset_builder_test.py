"""TFDS conformance tests of wikiart over dummy_data in ArtGAN's layout (wikiart/<Style>/, wikiart_csv/) and
in the plain style-folder layout (dummy_data/style_folders/{train,val,test}/<Style>/).

The dummy CSVs name one missing file and one class index outside genre_class.txt: both are quarantined,
so genre keeps 11 of 13 train rows.
"""

from pathlib import Path

import tensorflow_datasets as tfds

from tfds_builders.wikiart import wikiart_dataset_builder
from tfds_builders.wikiart.wikiart_dataset_builder import wikiart_config


class WikiartGenreStyleTest(tfds.testing.DatasetBuilderTestCase):
    DATASET_CLASS = wikiart_dataset_builder.Builder
    BUILDER_CONFIG_NAMES_TO_TEST = ["genre", "style"]
    SPLITS = {"train": 11, "val": 5}
    SKIP_CHECKSUMS = True  # manual data only in tests; the download mode has no registered checksums


class WikiartArtistTest(tfds.testing.DatasetBuilderTestCase):
    DATASET_CLASS = wikiart_dataset_builder.Builder
    BUILDER_CONFIG_NAMES_TO_TEST = ["artist"]
    SPLITS = {"train": 7, "val": 3}  # the Realism painters are not artist-task classes
    SKIP_CHECKSUMS = True


class WikiartTopBalancedTest(tfds.testing.DatasetBuilderTestCase):
    """Top 2 genres (landscape 5, portrait 4 rows of which 1 missing): 3 + 3 train, 1 + 1 val."""

    DATASET_CLASS = wikiart_dataset_builder.Builder
    BUILDER_CONFIG_NAMES_TO_TEST = [wikiart_config("genre_top2_balanced")]
    SPLITS = {"train": 6, "val": 2}
    SKIP_CHECKSUMS = True


class WikiartStyleFoldersTest(tfds.testing.DatasetBuilderTestCase):
    """2 / 1 / 1 per style; the text file posing as a JPEG (train) and the Cubism folder (val) are quarantined."""

    DATASET_CLASS = wikiart_dataset_builder.Builder
    BUILDER_CONFIG_NAMES_TO_TEST = ["style_folders"]
    EXAMPLE_DIR = str(Path(__file__).resolve().parent / "dummy_data" / "style_folders")
    SPLITS = {"train": 6, "val": 3, "test": 3}
    SKIP_CHECKSUMS = True


if __name__ == "__main__":
    tfds.testing.test_main()
