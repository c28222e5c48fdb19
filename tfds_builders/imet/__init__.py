"""imet dataset (The Met's iMet Collection, Kaggle 2019 and 2020)."""

from tfds_builders.imet.imet_dataset_builder import Builder, ImetConfig

__all__ = ["Builder", "ImetConfig"]
