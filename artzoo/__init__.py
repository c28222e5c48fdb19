"""artzoo: a multi-task model zoo on Keras 3 / TensorFlow for artwork images.

The public Python API (the `artzoo` command calls the same functions)::

    import artzoo

    artzoo.list_models("mobilenet*")                      # registered backbones
    model = artzoo.create_model("mobilenet_v2", heads={"genre": ["Landscape", "Portrait"]})
    cfg = artzoo.load_config("genre", train__epochs=1)    # configs/genre.yaml with overrides
    run = artzoo.train("genre", data__data_dir="paintings/", train__epochs=1)
    predictor = artzoo.load(run.path)                     # run dir, SavedModel, .keras, .tflite, .onnx
    predictor.predict(["painting.jpg"])                   # per-head labels and scores
    vectors = artzoo.embed("paintings/")                  # embeddings of a folder
    artzoo.cluster(vectors, k=4, out="clusters")          # also: method="scan" | "hdbscan" | ..., views=[...]
    artzoo.assign_clusters("clusters", ["new.jpg"])       # new works into the saved clusters
    artzoo.similar("painting.jpg", "index.npz", k=5)

Importing artzoo is fast and imports no TensorFlow: the functions load on first use (module `__getattr__`).
Importing artzoo also registers its Keras custom layers and TFDS builders, each as soon as Keras or TFDS is
imported (`artzoo.registration`), so `keras.models.load_model("model.keras")` and
`tfds.builder("louvre_genre")` work after `import artzoo`.
"""

from artzoo.errors import ArtzooError

__version__ = "0.1.0"

_API = {
    "list_models": "artzoo.api",
    "create_model": "artzoo.api",
    "load_config": "artzoo.api",
    "train": "artzoo.train",  # the training package, callable as artzoo.api.train (see artzoo/train/__init__.py)
    "Run": "artzoo.api",
    "embed": "artzoo.api",
    "cluster": "artzoo.api",
    "assign_clusters": "artzoo.api",
    "similar": "artzoo.api",
    "load": "artzoo.predictor",
    "Predictor": "artzoo.predictor",
    "register_all": "artzoo.registration",
}

__all__ = ["ArtzooError", "__version__", *_API]


def __getattr__(name: str):
    module = _API.get(name)
    if module is None:
        raise AttributeError(f"module 'artzoo' has no attribute {name!r}")
    import importlib

    value = importlib.import_module(module) if module == f"artzoo.{name}" else getattr(
        importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_API))


def _register() -> None:
    from artzoo import registration

    registration.install()


_register()
