"""One clustering of an embeddings set: prepare features, choose k if asked, fit, score.

`cluster_features` is the computation (what the benchmark times against scikit-learn); `cluster_embeddings`
adds the scores; `artzoo.clustering.report` writes clusters.csv, metrics.json and the plots.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Optional, Union

import numpy as np

from artzoo.clustering.choose_k import KChoice, choose_k
from artzoo.clustering.methods import FINDS_K, METHODS, ClusterResult, MethodSettings, fit_clusters
from artzoo.clustering.reduce import apply_preparation, fit_preparation
from artzoo.clustering.scores import external_scores, internal_scores
from artzoo.embeddings.store import EmbeddingSet
from artzoo.errors import ArtzooError, choice_error


@dataclass(frozen=True)
class ClusterSettings:
    method: str = "kmeans++"
    k: Union[int, str, None] = None  # an int, "auto", or None (dbscan only)
    k_min: int = 2
    k_max: int = 12
    reduce: str = "none"
    normalize: str = "none"
    whiten: bool = False
    seed: int = 0
    silhouette_sample: int = 5000
    method_settings: MethodSettings = field(default_factory=MethodSettings)

    def __post_init__(self):
        if self.method not in METHODS:
            raise choice_error("clustering method", self.method, METHODS)
        if self.method in FINDS_K and self.k is not None:
            raise ArtzooError(f"--k {self.k} does not apply to {self.method}; it finds the clusters itself "
                              f"(use --eps or --min-cluster-size)")
        if self.method not in FINDS_K and self.k is None:
            raise ArtzooError(f"--method {self.method} needs --k N or --k auto")
        if isinstance(self.k, str) and self.k != "auto":
            raise ArtzooError(f"--k {self.k!r} must be an integer >= 2 or auto")
        if self.k == "auto" and not 2 <= self.k_min < self.k_max:
            raise ArtzooError(f"--k-range {self.k_min}:{self.k_max} must satisfy 2 <= min < max")


def parse_k(text: Optional[str]) -> Union[int, str, None]:
    if text is None or text == "auto":
        return text
    try:
        return int(text)
    except ValueError:
        raise ArtzooError(f"--k {text!r} must be an integer >= 2 or auto") from None


@dataclass
class ClusterOutcome:
    features: np.ndarray
    preparation: dict
    result: ClusterResult
    choice: Optional[KChoice]
    scores: dict
    seconds: dict


def cluster_features(embeddings: np.ndarray, settings: ClusterSettings, labels: Optional[np.ndarray] = None,
                     views: Optional[np.ndarray] = None):
    """Prepared features, how they were prepared, the k choice (for --k auto) and the clustering.

    `labels` only score SCAN's stages; `views` (v, n, d) are augmented embeddings of the same items, prepared
    with the transform fitted on `embeddings` (SCAN uses them as augmentations).
    """
    x, preparation, transform = fit_preparation(embeddings, settings.normalize, settings.reduce, settings.seed,
                                                settings.whiten)
    choice = None
    k = settings.k
    if k == "auto":
        choice = choose_k(x, settings.method, range(settings.k_min, settings.k_max + 1), settings.seed,
                          settings.method_settings, settings.silhouette_sample)
        k = choice.k
    prepared_views = None
    if views is not None:
        prepared_views = np.stack([x] + [apply_preparation(v, transform) for v in views])
    result = fit_clusters(x, settings.method, k, settings.seed, settings.method_settings, labels, prepared_views)
    result.transform = transform
    return x, preparation, choice, result


def cluster_embeddings(emb: EmbeddingSet, settings: ClusterSettings,
                       views: Optional[np.ndarray] = None) -> ClusterOutcome:
    """Clusters the set and scores the result (against labels when the set has them)."""
    started = time.time()
    x, preparation, choice, result = cluster_features(emb.embeddings, settings,
                                                      emb.labels if emb.labelled else None, views)
    fitted = time.time()
    scores = {"internal": internal_scores(x, result.labels, settings.seed, settings.silhouette_sample)}
    if emb.labelled:
        scores["external"] = external_scores(emb.labels, result.labels, emb.class_names)
    seconds = {"cluster": round(fitted - started, 2), "score": round(time.time() - fitted, 2)}
    return ClusterOutcome(x, preparation, result, choice, scores, seconds)


def settings_dict(settings: ClusterSettings) -> dict:
    return asdict(settings)
