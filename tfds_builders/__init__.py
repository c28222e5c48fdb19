"""Custom TensorFlow Datasets builders for art collections.

Importing a builder module registers it with TFDS (`tfds.builder("louvre_genre")`). Use
`tfds_builders.register_all()` to import every builder. A builder module may define
`resolve_config(name, manual_dir, **options)` for configs made on request (art_folder: one per source
folder or CSV; wikiart: any `<task>_top<N>_balanced`).
"""

import importlib

BUILDERS = ("louvre_genre", "wikiart", "imet", "ancient_art", "art_folder", "louvre_wikiart")


def builder_module(name: str):
    return importlib.import_module(f"tfds_builders.{name}.{name}_dataset_builder")


def register_all() -> None:
    for name in BUILDERS:
        builder_module(name)
