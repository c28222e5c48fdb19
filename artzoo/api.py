"""artzoo's public functions (re-exported by `import artzoo`); the `artzoo` command calls the same ones.

Each is a thin layer over the library function that does the work, taking plain Python values. Overrides of
config keys are keyword arguments with `__` for the dots: `train__epochs=1` is `--set train.epochs=1`
(a dict with dotted keys works too: `**{"train.epochs": 1}`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Optional, Sequence, Union

from artzoo.errors import ArtzooError

PathLike = Union[str, os.PathLike]


def list_models(pattern: Optional[str] = None, pretrained: bool = False) -> list[str]:
    """Names of the registered backbones, sorted; `pattern` is a shell pattern on the name.

    With `pretrained`, their pretrained-weight tags instead, `<backbone>.<tag>` (`pattern` matches the tag's
    name or its backbone's).

    >>> import artzoo
    >>> "mobilenet_v2" in artzoo.list_models("mobilenet*")
    True
    >>> artzoo.list_models("mobilenet_v2", pretrained=True)
    ['mobilenet_v2.imagenet']
    """
    from artzoo.models.registry import list_backbones, list_pretrained

    return (list_pretrained if pretrained else list_backbones)(pattern or "*")


def create_model(backbone: str = "mobilenet_v2", heads: Optional[Mapping[str, Any]] = None,
                 image_size: Optional[int] = None, weights: str = "imagenet", **model_options):
    """A Keras model: `backbone` with one named output per head (the multi-head coordinator when several).

    Args:
        backbone: a name from `list_models()`.
        heads: `{name: classes}`; classes is a list of class names or a count, or a dict of head settings
            (`{"classes": [...], "type": "sigmoid", "dropout": 0.3}`, any `HeadConfig` field).
        image_size: square input side; default the backbone's own size.
        weights: "imagenet", "none" or a weights file.
        model_options: other `model.*` settings, e.g. `se=True`, `attention=True`, `pooling="max"`.

    The model takes `image` (float32 RGB pixels in 0..255) and returns `{head: probabilities}`.

    >>> import artzoo
    >>> model = artzoo.create_model("mobilenet_2_5", heads={"genre": ["Landscape", "Portrait"], "tags": 3},
    ...                             image_size=64, weights="none")
    >>> sorted(model.output_names)
    ['genre', 'tags']
    """
    import dataclasses

    from artzoo.config import HeadConfig, ModelConfig, from_dict
    from artzoo.models.classifier import build_classifier
    from artzoo.models.registry import get_backbone_spec

    if not heads:
        raise ArtzooError("create_model needs heads, e.g. heads={'genre': ['Landscape', 'Portrait']}")
    head_configs, classes = [], {}
    for name, value in heads.items():
        settings = dict(value) if isinstance(value, Mapping) else {"classes": value}
        names = settings.pop("classes", None)
        if isinstance(names, int) and not isinstance(names, bool):
            names = [str(i) for i in range(names)]
        if not isinstance(names, (list, tuple)) or not names:
            raise ArtzooError(f"head {name!r}: classes must be a non-empty list of names or a count, got {names!r}")
        head_configs.append(from_dict(HeadConfig, {"name": name, "label": name, **settings}, f"heads.{name}"))
        classes[name] = [str(c) for c in names]
    cfg = from_dict(ModelConfig, {"backbone": backbone, "weights": weights, **model_options}, "model")
    cfg = dataclasses.replace(cfg, heads=tuple(head_configs))
    size = image_size or get_backbone_spec(backbone).default_size
    return build_classifier(cfg, classes, size)


def load_config(task_or_path: Union[str, os.PathLike, Any] = "genre", **overrides):
    """The typed run config of a task (`configs/<task>.yaml`) or a YAML file, with overrides applied.

    >>> import artzoo
    >>> cfg = artzoo.load_config("genre", train__epochs=1, data__image_size=96)
    >>> (cfg.train.epochs, cfg.data.image_size, cfg.model.heads[0].name)
    (1, 96, 'genre')
    """
    from artzoo.config import RunConfig, from_dict, load_config_file, load_task_config, to_dict

    dotted = {key.replace("__", "."): value for key, value in overrides.items()}
    if isinstance(task_or_path, RunConfig):
        if not dotted:
            return task_or_path
        from artzoo.config import set_dotted

        raw = to_dict(task_or_path)
        for key, value in dotted.items():
            set_dotted(raw, key, value)
        return from_dict(RunConfig, raw)
    text = str(task_or_path)
    if isinstance(task_or_path, os.PathLike) or text.endswith((".yaml", ".yml")) or os.sep in text:
        return load_config_file(text, dotted)
    return load_task_config(text, dotted)


@dataclass
class Run:
    """A finished training run: its directory, metrics, `run.json`, export and (loaded on first use) model."""

    path: Path
    metrics: dict
    summary: dict
    outcome: str
    export: Optional[Path] = None
    _model: Any = field(default=None, repr=False)

    @property
    def model(self):
        """The best epoch's Keras model (`model.keras`)."""
        if self._model is None:
            import keras

            self._model = keras.models.load_model(self.path / "model.keras", safe_mode=True)
        return self._model

    def predictor(self):
        """`artzoo.load(self.path)`: predictions on image files, bytes or arrays."""
        from artzoo.predictor import load

        return load(self.path)


def train(config_or_task: Union[str, os.PathLike, Any] = "genre", progress: bool = True, **overrides) -> Run:
    """Trains (or resumes, or finds finished) the run a task, YAML file or config describes; returns the `Run`.

    Example (a one-epoch run on a folder of class subfolders, no export)::

        import artzoo
        run = artzoo.train("genre", data__data_dir="louvre_small", train__epochs=1, train__fine_tune_epochs=0,
                           data__image_size=96, export__enabled=False, run_dir="runs/genre-try")
        run.metrics["val"]["genre"]["accuracy"]
    """
    from artzoo.config_checks import check_run_config
    from artzoo.train.runner import train as train_run

    cfg = load_config(config_or_task, **overrides)
    check_run_config(cfg)
    trained = train_run(cfg, verbose="auto" if progress else 0)
    if trained.outcome == "worker":
        return Run(Path(trained.root), {}, {}, trained.outcome)
    summary = trained.read_json(trained.summary_path)
    metrics = trained.read_json(trained.metrics_path) if trained.metrics_path.is_file() else {}
    export = Path(summary["export"]) if summary.get("export") else None
    return Run(Path(trained.root), metrics, summary, trained.outcome, export)


def embed(images: Union[PathLike, Sequence[PathLike], None] = None, *, dataset: Optional[str] = None,
          out: Optional[PathLike] = None, backbone: str = "mobilenet_v2", weights: str = "imagenet",
          image_size: Optional[int] = None, model: Optional[PathLike] = None, progress: bool = True,
          **options):
    """Embeddings (an `EmbeddingSet`: `.embeddings` (n, d) float32, `.ids`, `.paths`, `.labels`, `.class_names`).

    Args:
        images: a folder (class or split/class subfolders, or flat) or a list of image files.
        dataset: a TFDS dataset name instead (`manual_dir=`, `tfds_dir=`, `builder_config=`, `label=` in options).
        out: an `.npz` cache: reused when the images and settings are unchanged (folders and datasets).
        backbone, weights, image_size: the embedder; or `model`: a trained run's `model.keras`.
        options: other `EmbedderSettings` (`resize`, `decode`, `attention`, `seed`, `batch_size`) or data options.

    >>> import artzoo
    >>> vectors = artzoo.embed(["a.jpg", "b.jpg"], backbone="mobilenet_2_5", image_size=64)  # doctest: +SKIP
    >>> vectors.embeddings.shape  # doctest: +SKIP
    (2, 256)
    """
    from artzoo.embeddings.embed import DataSource, embed as embed_source
    from artzoo.embeddings.extractor import EmbedderSettings
    from artzoo.progress_bars import only_if

    data_keys = ("manual_dir", "tfds_dir", "builder_config", "label")
    data_options = {k: options.pop(k) for k in data_keys if k in options}
    settings = EmbedderSettings(backbone=backbone, weights=weights, image_size=image_size,
                                model_path=str(model) if model else None, **options)
    with only_if(progress):
        if images is not None and not isinstance(images, (str, os.PathLike)):
            return _embed_files([str(p) for p in images], settings)
        source = DataSource(data_dir=str(images) if images is not None else None, dataset=dataset, **data_options)
        if out is not None:
            return embed_source(source, settings, out).embeddings
        import tempfile

        with tempfile.TemporaryDirectory(prefix="artzoo-embed-") as tmp:
            return embed_source(source, settings, Path(tmp) / "embeddings.npz").embeddings


def _embed_files(files: list[str], settings):
    from artzoo.embeddings.extractor import build_embedder, embed_collection
    from artzoo.embeddings.images import files_collection
    from artzoo.embeddings.store import EmbeddingSet

    collection = files_collection(files)
    model, description = build_embedder(settings)
    vectors = embed_collection(model, collection, description["image_size"], settings.resize, settings.batch_size,
                               decode=settings.decode)
    return EmbeddingSet(vectors, collection.ids, collection.paths, collection.labels, collection.splits,
                        collection.class_names, {**description, "source": "files"})


def cluster(embeddings, k: Union[int, str, None] = None, method: str = "kmeans++", *, out: Optional[PathLike] = None,
            map_method: str = "pca", gallery_size: int = 8, views=None, projector: bool = False, **settings):
    """Clusters embeddings; returns a `ClusterOutcome` (`.result.labels`, `.scores`, `.choice` for k="auto").

    Args:
        embeddings: an `EmbeddingSet`, an `.npz` from `embed`, or an (n, d) array.
        k: number of clusters, "auto" (elbow, silhouette, Davies-Bouldin, Calinski-Harabasz), or None for dbscan
            and hdbscan.
        method: kmeans++ | minibatch | gmm | dbscan | agglomerative | hdbscan | scan.
        out: also write the report there (metrics.json, clusters.csv, clusters.html, plots/ with a `map_method`
            map, pca or tsne, and galleries of `gallery_size` images) and the fitted clusterer, which
            `artzoo cluster assign` reuses, as `artzoo cluster` does; `projector=True` adds OUT/projector/.
        views: for scan, augmented views of the same items (`embed(..., flip=True)`): `.npz` paths (a list or
            one comma-separated string), `EmbeddingSet`s or arrays of the embeddings' shape.
        settings: other `ClusterSettings` (`normalize="l2"`, `reduce="pca:0.95"`, `whiten`, `seed`, `k_min`,
            `k_max`), `MethodSettings` (`n_init`, `covariance`, `eps`, `min_samples`, `min_cluster_size`,
            `linkage`) or `ScanSettings` (`neighbours`, `entropy_weight`, `heads`, `epochs`, `rounds`, ...).

    >>> import numpy as np, artzoo
    >>> x = np.concatenate([np.zeros((20, 4)), np.ones((20, 4)) * 5]) + np.random.default_rng(0).normal(size=(40, 4))
    >>> outcome = artzoo.cluster(x, k=2)
    >>> sorted(np.bincount(outcome.result.labels).tolist())
    [20, 20]
    """
    from artzoo.clustering.run import cluster_embeddings

    emb = _embedding_set(embeddings)
    cluster_settings = _cluster_settings(method, k, settings)
    view_vectors = _views(views, emb) if views is not None else None
    outcome = cluster_embeddings(emb, cluster_settings, view_vectors)
    if out is not None:
        from artzoo.clustering.report import write_report

        source = str(Path(embeddings).resolve()) if isinstance(embeddings, (str, os.PathLike)) else ""
        write_report(emb, outcome, cluster_settings, out, map_method, gallery_size, source=source,
                     projector=projector)
    return outcome


def assign_clusters(clusters: PathLike, items, *, out: Optional[PathLike] = None) -> dict:
    """Assigns new works to the clusters saved by `cluster(..., out=DIR)` (or `artzoo cluster --out DIR`).

    Args:
        clusters: that output folder (it holds clusterer.json and its arrays / SCAN head).
        items: image files and folders (embedded with the clusterer's own embedder), or raw embedding vectors
            made the same way ((n, d) array or an `EmbeddingSet`).
        out: also write the assignments there as CSV.

    Returns `{"method", "k", "assignments": [{"id", "path", "cluster", "cluster_name", ...}, ...]}`, with
    "probability" and "top" for gmm and scan, "distance" for the others, "membership" for hdbscan; -1 is noise.

    >>> artzoo.cluster("index.npz", k=5, out="clusters")  # doctest: +SKIP
    >>> artzoo.assign_clusters("clusters", ["new.jpg"])["assignments"][0]["cluster"]  # doctest: +SKIP
    """
    from artzoo.clustering.assign import assign_to_saved

    return assign_to_saved(clusters, items, str(out) if out is not None else None)


def settings_options(settings) -> dict:
    """The keyword arguments of `cluster` that rebuild `settings` (a `ClusterSettings`), less method and k."""
    import dataclasses

    options = {f.name: getattr(settings, f.name) for f in dataclasses.fields(settings)
               if f.name not in ("method", "k", "method_settings")}
    method = settings.method_settings
    options.update({f.name: getattr(method, f.name) for f in dataclasses.fields(method) if f.name != "scan"})
    options.update(dataclasses.asdict(method.scan))
    return options


def _cluster_settings(method: str, k, settings: dict):
    import dataclasses

    from artzoo.clustering.methods import MethodSettings
    from artzoo.clustering.run import ClusterSettings
    from artzoo.clustering.scan_settings import ScanSettings

    settings = dict(settings)
    scan_fields = {f.name for f in dataclasses.fields(ScanSettings)}
    method_fields = {f.name for f in dataclasses.fields(MethodSettings)} - {"scan"}
    scan = ScanSettings(**{key: settings.pop(key) for key in list(settings) if key in scan_fields})
    method_settings = MethodSettings(scan=scan, **{key: settings.pop(key) for key in list(settings)
                                                   if key in method_fields})
    cluster_fields = {f.name for f in dataclasses.fields(ClusterSettings)} - {"method", "k", "method_settings"}
    unknown = sorted(set(settings) - cluster_fields)
    if unknown:
        raise ArtzooError(f"unknown clustering setting(s) {', '.join(unknown)}")
    return ClusterSettings(method=method, k=k, method_settings=method_settings, **settings)


def _embedding_set(embeddings):
    import numpy as np

    from artzoo.embeddings.store import EmbeddingSet, load_embeddings

    if isinstance(embeddings, (str, os.PathLike)):
        return load_embeddings(embeddings)
    if isinstance(embeddings, EmbeddingSet):
        return embeddings
    x = np.asarray(embeddings, dtype=np.float32)
    if x.ndim != 2:
        raise ArtzooError(f"embeddings must be a 2-D array (items x dims), got shape {x.shape}")
    n = len(x)
    return EmbeddingSet(x, [str(i) for i in range(n)], [""] * n, np.full(n, -1), [""] * n, [], {})


def _views(views, emb):
    """(v, n, d) float32 views of `emb`'s items from paths, a comma-separated string, sets or arrays."""
    import numpy as np

    from artzoo.clustering.report import load_views

    if isinstance(views, (str, os.PathLike)):
        return load_views(str(views), emb)
    stacked = []
    for view in views:
        if isinstance(view, (str, os.PathLike)):
            stacked.extend(load_views(str(view), emb))
            continue
        vectors = np.asarray(getattr(view, "embeddings", view), dtype=np.float32)
        if vectors.shape != emb.embeddings.shape:
            raise ArtzooError(f"a view has shape {vectors.shape}, the embeddings {emb.embeddings.shape}")
        stacked.append(vectors)
    return np.stack(stacked)


def similar(image: PathLike, index: PathLike, k: int = 8, gallery: Optional[PathLike] = None) -> dict:
    """The `k` works of an embeddings index (`embed(..., out=...)`) most similar to `image` by cosine similarity.

    Returns `{"query", "index", "hits": [{"rank", "id", "path", "score", "label"}, ...]}` (+ "gallery" PNG when
    asked).

    >>> import artzoo
    >>> artzoo.embed("paintings/", out="index.npz")  # doctest: +SKIP
    >>> [h["id"] for h in artzoo.similar("query.jpg", "index.npz", k=3)["hits"]]  # doctest: +SKIP
    """
    from artzoo.similar_works import find_similar

    return find_similar(str(image), index, k, gallery)
