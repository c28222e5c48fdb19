"""Custom TensorFlow Datasets builders for art collections.

Importing a builder module registers it with TFDS (`tfds.builder("louvre_genre")`). Use
`tfds_builders.register_all()` to import every builder.
"""

import importlib

BUILDERS = ("louvre_genre",)


def register_all() -> None:
    for name in BUILDERS:
        importlib.import_module(f"tfds_builders.{name}.{name}_dataset_builder")
