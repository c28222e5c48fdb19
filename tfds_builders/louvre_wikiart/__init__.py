"""louvre_wikiart dataset: Louvre-4 genres and WikiArt-7 styles in one dataset, each item labelled for one."""

from tfds_builders.louvre_wikiart.louvre_wikiart_dataset_builder import Builder

__all__ = ["Builder"]
