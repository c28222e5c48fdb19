"""louvre_genre dataset."""

from tfds_builders.louvre_genre.louvre_genre_dataset_builder import Builder

__all__ = ["Builder"]
