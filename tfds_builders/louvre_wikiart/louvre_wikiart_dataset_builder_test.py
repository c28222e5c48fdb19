"""TFDS conformance test of louvre_wikiart over dummy_data: louvre_genre/ and wikiart_style7/ side by side."""

import tensorflow_datasets as tfds

from tfds_builders.louvre_wikiart import louvre_wikiart_dataset_builder


class LouvreWikiartTest(tfds.testing.DatasetBuilderTestCase):
    """Genres 2 / 1 per class (4 classes), styles 2 / 1 per class (2 classes); one unknown genre folder."""

    DATASET_CLASS = louvre_wikiart_dataset_builder.Builder
    SPLITS = {"train": 12, "val": 6}
    SKIP_CHECKSUMS = True


if __name__ == "__main__":
    tfds.testing.test_main()
