"""What `import artzoo` registers, explicitly: artzoo's Keras custom objects and its TFDS builders.

- Keras: the layers of `artzoo.models.layers`, `artzoo.models.cascade`, `artzoo.models.gram_pooling` and
  `artzoo.models.tta` and the optimizers of
  `artzoo.train.replica_optimizers` (all registered under the package name `artzoo`), so
  `keras.models.load_model("model.keras", safe_mode=True)` works after `import artzoo`.
- TFDS: every builder in `tfds_builders` (louvre_genre, wikiart, imet, ancient_art, art_folder, louvre_wikiart), so
  `tfds.builder("louvre_genre")` and `tfds.load(...)` work after `import artzoo`.

Neither is imported by `import artzoo` itself (Keras pulls in TensorFlow: seconds, and a TensorFlow import
is what `import artzoo` must not cost). Each registration runs the moment its library finishes importing,
whichever is imported first, artzoo or the library (`artzoo.import_hooks`). Keras is imported while
TensorFlow imports (and TensorFlow while Keras imports), so the Keras registration waits until neither is
half-initialised. `register_all()` does both at once, for code that wants them now.
"""

from __future__ import annotations

import sys

from artzoo.import_hooks import _importing, after_import

KERAS_MODULES = ("artzoo.models.layers", "artzoo.models.cascade", "artzoo.models.gram_pooling", "artzoo.models.tta",
                 "artzoo.train.replica_optimizers")
_done: set[str] = set()


def register_keras_objects() -> None:
    """Imports the modules that define artzoo's registered Keras layers (idempotent)."""
    import importlib

    for name in KERAS_MODULES:
        importlib.import_module(name)
    _done.add("keras")


def register_tfds_builders() -> None:
    """Imports every artzoo TFDS builder module, which registers it by name with TFDS (idempotent)."""
    import tfds_builders

    tfds_builders.register_all()
    _done.add("tfds")


def register_all() -> None:
    register_keras_objects()
    register_tfds_builders()


def registered() -> set[str]:
    """Which registrations have run so far: a subset of {"keras", "tfds"}."""
    return set(_done)


def _keras_when_ready(firing: str) -> None:
    if "keras" in _done or "keras" not in sys.modules:
        return
    for name in ("keras", "tensorflow"):
        if name != firing and name in sys.modules and _importing(name):
            return  # the other one's hook fires when it is complete
    register_keras_objects()


def install() -> None:
    """Called by `import artzoo`: registers now what is already imported, the rest when it is imported."""
    for name in ("keras", "tensorflow"):
        after_import(name, lambda name=name: _keras_when_ready(name))
    after_import("tensorflow_datasets", register_tfds_builders)
