"""TFDS conformance tests of ancient_art: the study layout (dummy labels.csv with a split column and messy
values) and config egyptian (dummy_data/egyptian_artifacts, made by dummy_images.py: 15 real metadata rows of
../shared/data/egyptian_artifacts with synthetic images, and a row whose image is missing)."""

import dataclasses

import tensorflow_datasets as tfds

from tfds_builders.ancient_art import ancient_art_dataset_builder
from tfds_builders.ancient_art.ancient_art_dataset_builder import Builder


class AncientArtTest(tfds.testing.DatasetBuilderTestCase):
    DATASET_CLASS = ancient_art_dataset_builder.Builder
    BUILDER_CONFIG_NAMES_TO_TEST = ["culture_medium_period"]
    SPLITS = {"train": 9, "val": 3, "test": 2}  # train also lists a missing file and an unlabelled row
    SKIP_CHECKSUMS = True


class AncientArtEgyptianTest(tfds.testing.DatasetBuilderTestCase):
    """train/ and val/ folders give the splits; the missing image is listed in train's manifest."""

    DATASET_CLASS = ancient_art_dataset_builder.Builder
    BUILDER_CONFIG_NAMES_TO_TEST = [
        dataclasses.replace(Builder.builder_configs["egyptian"], name="egyptian_dummy",
                            csv_file="egyptian_artifacts/metadata.csv")
    ]
    SPLITS = {"train": 10, "val": 5}
    SKIP_CHECKSUMS = True


if __name__ == "__main__":
    tfds.testing.test_main()
