"""art_folder dataset: any class-folder tree or CSV-described collection."""

from tfds_builders.art_folder.art_folder_dataset_builder import ArtFolderConfig, Builder, art_folder_config

__all__ = ["ArtFolderConfig", "Builder", "art_folder_config"]
