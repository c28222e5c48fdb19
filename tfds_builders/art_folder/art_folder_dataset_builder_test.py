"""TFDS conformance tests of art_folder over dummy_data: a split-less class-folder tree and a CSV."""

import tensorflow_datasets as tfds

from tfds_builders.art_folder import art_folder_dataset_builder
from tfds_builders.art_folder.art_folder_dataset_builder import ArtFolderConfig


class ArtFolderClassesTest(tfds.testing.DatasetBuilderTestCase):
    """3 classes x 10 images split 7:2:1, plus a text file named .jpg (quarantined) in Relief."""

    DATASET_CLASS = art_folder_dataset_builder.Builder
    BUILDER_CONFIG_NAMES_TO_TEST = [ArtFolderConfig(name="classes", subdir="classes")]
    SPLITS = {"train": 21, "val": 6, "test": 3}
    SKIP_CHECKSUMS = True


class ArtFolderCsvTest(tfds.testing.DatasetBuilderTestCase):
    """18 rows split 7:2:1 by material; a missing file (in val) and a row without labels are listed."""

    DATASET_CLASS = art_folder_dataset_builder.Builder
    BUILDER_CONFIG_NAMES_TO_TEST = [
        ArtFolderConfig(name="table", subdir="table", csv_file="labels.csv", image_column="image",
                        label_columns=("material", "era"))
    ]
    SPLITS = {"train": 13, "val": 2, "test": 3}
    SKIP_CHECKSUMS = True


if __name__ == "__main__":
    tfds.testing.test_main()
