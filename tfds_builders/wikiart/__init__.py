"""wikiart dataset (ArtGAN's WikiArt release)."""

from tfds_builders.wikiart.wikiart_dataset_builder import Builder, WikiartConfig, wikiart_config

__all__ = ["Builder", "WikiartConfig", "wikiart_config"]
