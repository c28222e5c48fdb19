"""ancient_art dataset: culture, medium and period of ancient objects, from a CSV."""

from tfds_builders.ancient_art.ancient_art_dataset_builder import AncientArtConfig, Builder

__all__ = ["AncientArtConfig", "Builder"]
