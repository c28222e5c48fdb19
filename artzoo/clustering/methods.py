"""The clustering methods, each a thin call of scikit-learn with the settings recorded.

- "kmeans++": `KMeans(init="k-means++", n_init, max_iter)` (Arthur & Vassilvitskii seeding).
- "minibatch": `MiniBatchKMeans` with k-means++ seeding, for large collections.
- "gmm": `GaussianMixture` (k-means++ initialisation); per-item responsibilities = soft clusters.
- "dbscan": `DBSCAN`, eps suggested from the knee of the sorted k-distance curve when not given.
- "agglomerative": `AgglomerativeClustering` (ward linkage by default).
- "hdbscan": `HDBSCAN` (finds the number of clusters; noise is -1; a membership strength per item).
- "scan": SCAN (`artzoo.clustering.scan`): a clustering head trained on mined neighbours, then self-labelled;
  soft per-cluster probabilities per item.

Each result keeps what assigning new vectors needs (`state`: arrays; `head`: the SCAN Keras head), which
`artzoo.clustering.clusterer` saves and loads.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

import numpy as np
from sklearn.cluster import DBSCAN, HDBSCAN, AgglomerativeClustering, KMeans, MiniBatchKMeans
from sklearn.mixture import GaussianMixture
from sklearn.neighbors import NearestNeighbors

from artzoo.clustering.scan_settings import ScanSettings
from artzoo.errors import ArtzooError, choice_error

METHODS = ("kmeans++", "minibatch", "gmm", "dbscan", "agglomerative", "hdbscan", "scan")
FINDS_K = ("dbscan", "hdbscan")  # methods that find the number of clusters themselves
COVARIANCES = ("full", "tied", "diag", "spherical")
LINKAGES = ("ward", "complete", "average", "single")
AGGLOMERATIVE_MAX_ITEMS = 30_000  # pairwise distances grow as n^2


@dataclass(frozen=True)
class MethodSettings:
    n_init: int = 10
    max_iter: int = 300
    covariance: str = "diag"  # GMM; "full" needs many more items than dimensions
    eps: Optional[float] = None  # DBSCAN; None: suggested from the k-distance curve
    min_samples: int = 5  # DBSCAN, HDBSCAN
    min_cluster_size: int = 5  # HDBSCAN
    linkage: str = "ward"  # agglomerative
    minibatch_size: int = 4096
    scan: ScanSettings = field(default_factory=ScanSettings)


@dataclass
class ClusterResult:
    labels: np.ndarray
    method: str
    n_clusters: int  # found, noise excluded
    centers: Optional[np.ndarray] = None
    responsibilities: Optional[np.ndarray] = None  # GMM: (n, k), rows sum to 1
    inertia: Optional[float] = None
    info: dict = field(default_factory=dict)
    state: dict = field(default_factory=dict)  # arrays that assign new vectors (GMM parameters, core points, ...)
    head: Any = None  # SCAN: the trained one-head keras.Model
    transform: dict = field(default_factory=dict)  # the feature preparation fitted before the method (arrays)


def fit_clusters(x: np.ndarray, method: str, k: Optional[int], seed: int = 0,
                 settings: MethodSettings = MethodSettings(), labels: Optional[np.ndarray] = None,
                 views: Optional[np.ndarray] = None) -> ClusterResult:
    """Clusters the rows of `x` (float32, as prepared) with `method`.

    `labels` (-1 unknown) only score SCAN's stages; `views` (v, n, d) are SCAN's augmented views of `x`.
    """
    if method not in METHODS:
        raise choice_error("clustering method", method, METHODS)
    if method == "dbscan":
        return _dbscan(x, settings)
    if method == "hdbscan":
        return _hdbscan(x, settings)
    if k is None or k < 2 or k > len(x):
        raise ArtzooError(f"--k {k} is not valid for {len(x)} items; expected 2 <= k <= {len(x)} or auto")
    if method == "kmeans++":
        model = KMeans(n_clusters=k, init="k-means++", n_init=settings.n_init, max_iter=settings.max_iter,
                       random_state=seed).fit(x)
        return ClusterResult(model.labels_, method, k, model.cluster_centers_, inertia=float(model.inertia_),
                             info={"n_iter": int(model.n_iter_)})
    if method == "minibatch":
        model = MiniBatchKMeans(n_clusters=k, init="k-means++", n_init=settings.n_init, max_iter=settings.max_iter,
                                batch_size=settings.minibatch_size, random_state=seed).fit(x)
        return ClusterResult(model.labels_, method, k, model.cluster_centers_, inertia=float(model.inertia_),
                             info={"n_iter": int(model.n_iter_)})
    if method == "gmm":
        return _gmm(x, k, seed, settings)
    if method == "scan":
        return _scan(x, k, seed, settings, labels, views)
    return _agglomerative(x, k, settings)


def _scan(x, k, seed, settings: MethodSettings, labels, views) -> ClusterResult:
    from artzoo.clustering.scan import fit_scan

    fit = fit_scan(x, k, seed, settings.scan, labels, views)
    assigned = fit.probs.argmax(axis=1)
    centers = np.stack([x[assigned == c].mean(axis=0) if (assigned == c).any() else np.full(x.shape[1], np.nan)
                        for c in range(k)]).astype(np.float32)
    return ClusterResult(assigned, "scan", int(len(np.unique(assigned))), centers, responsibilities=fit.probs,
                         info={"stages": fit.stages, "best_head": fit.best_head, "clusters_asked": k},
                         head=fit.head)


def _gmm(x: np.ndarray, k: int, seed: int, settings: MethodSettings) -> ClusterResult:
    if settings.covariance not in COVARIANCES:
        raise choice_error("GMM covariance", settings.covariance, COVARIANCES)
    x = x.astype(np.float64)  # EM's log-likelihood sums lose precision in float32; rows of resp sum to 1 here
    model = GaussianMixture(n_components=k, covariance_type=settings.covariance, max_iter=settings.max_iter,
                            n_init=max(1, min(settings.n_init, 3)), init_params="k-means++", reg_covar=1e-4,
                            random_state=seed).fit(x)
    resp = model.predict_proba(x)
    state = {"weights": model.weights_, "means": model.means_, "covariances": model.covariances_,
             "precisions_cholesky": model.precisions_cholesky_}
    return ClusterResult(resp.argmax(axis=1), "gmm", k, model.means_, responsibilities=resp,
                         info={"converged": bool(model.converged_), "n_iter": int(model.n_iter_),
                               "bic": float(model.bic(x)), "covariance": settings.covariance}, state=state)


def _agglomerative(x: np.ndarray, k: int, settings: MethodSettings) -> ClusterResult:
    if settings.linkage not in LINKAGES:
        raise choice_error("linkage", settings.linkage, LINKAGES)
    if len(x) > AGGLOMERATIVE_MAX_ITEMS:
        raise ArtzooError(f"agglomerative clustering of {len(x)} items needs memory growing as n^2; use at most "
                          f"{AGGLOMERATIVE_MAX_ITEMS} items or --method minibatch")
    model = AgglomerativeClustering(n_clusters=k, linkage=settings.linkage).fit(x)
    centers = np.stack([x[model.labels_ == c].mean(axis=0) for c in range(k)])
    return ClusterResult(model.labels_, "agglomerative", k, centers, info={"linkage": settings.linkage})


def _dbscan(x: np.ndarray, settings: MethodSettings) -> ClusterResult:
    if settings.min_samples < 2:
        raise ArtzooError(f"--min-samples {settings.min_samples} must be at least 2")
    curve = k_distance_curve(x, settings.min_samples)
    suggested = float(curve[knee_index(curve)])
    eps = settings.eps if settings.eps is not None else suggested
    if eps <= 0:
        raise ArtzooError(f"--eps {eps} must be positive")
    model = DBSCAN(eps=eps, min_samples=settings.min_samples).fit(x)
    labels = model.labels_
    found = int(len(set(labels.tolist()) - {-1}))
    core = model.core_sample_indices_
    return ClusterResult(labels, "dbscan", found, info={
        "eps": float(eps), "eps_suggested": suggested, "min_samples": settings.min_samples,
        "noise": int((labels == -1).sum()), "k_distance": curve.tolist() if len(curve) <= 20000 else None},
        state={"core_vectors": x[core], "core_labels": labels[core], "eps": np.array(eps)})


def _hdbscan(x: np.ndarray, settings: MethodSettings) -> ClusterResult:
    if settings.min_cluster_size < 2 or settings.min_samples < 1:
        raise ArtzooError(f"--min-cluster-size {settings.min_cluster_size} must be at least 2 and --min-samples "
                          f"{settings.min_samples} at least 1")
    model = HDBSCAN(min_cluster_size=settings.min_cluster_size, min_samples=settings.min_samples,
                    copy=True).fit(x)
    labels = model.labels_
    found = int(len(set(labels.tolist()) - {-1}))
    centers = np.stack([x[labels == c].mean(axis=0) for c in range(found)]) if found else None
    return ClusterResult(labels, "hdbscan", found, centers, info={
        "min_cluster_size": settings.min_cluster_size, "min_samples": settings.min_samples,
        "noise": int((labels == -1).sum()), "mean_membership": float(model.probabilities_.mean())},
        state={"fit_vectors": x, "fit_labels": labels, "membership": model.probabilities_})


def k_distance_curve(x: np.ndarray, min_samples: int) -> np.ndarray:
    """Each item's distance to its `min_samples`-th nearest neighbour (itself counted, as DBSCAN does), sorted."""
    neighbours = NearestNeighbors(n_neighbors=min(min_samples, len(x))).fit(x)
    distances, _ = neighbours.kneighbors(x)
    return np.sort(distances[:, -1])


def knee_index(y: np.ndarray) -> int:
    """The knee of a monotone curve: the point farthest from the chord joining its ends (axes scaled to 0..1)."""
    y = np.asarray(y, dtype=np.float64)
    if len(y) < 3:
        return len(y) - 1
    xs = np.linspace(0.0, 1.0, len(y))
    span = y.max() - y.min()
    ys = (y - y.min()) / span if span > 0 else np.zeros_like(y)
    start, end = np.array([xs[0], ys[0]]), np.array([xs[-1], ys[-1]])
    direction = (end - start) / np.linalg.norm(end - start)
    offsets = np.stack([xs, ys], axis=1) - start
    distances = np.abs(offsets[:, 0] * direction[1] - offsets[:, 1] * direction[0])
    return int(distances.argmax())
