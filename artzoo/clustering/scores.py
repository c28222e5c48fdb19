"""Clustering scores: against labels (Hungarian-matched accuracy, NMI, ARI, purity) and without them
(silhouette, Davies-Bouldin, Calinski-Harabasz), all from scikit-learn / SciPy.

Noise (cluster -1, from DBSCAN) is never matched to a class: its items count as wrong in accuracy and
purity; NMI and ARI see it as one more cluster, as scikit-learn does.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
from scipy.optimize import linear_sum_assignment
from sklearn import metrics as skm

NOISE = -1


def contingency(y_true: np.ndarray, y_pred: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Counts of (cluster, class) pairs: a (clusters, classes) matrix, the cluster ids and the class ids."""
    classes, true_idx = np.unique(y_true, return_inverse=True)
    clusters, pred_idx = np.unique(y_pred, return_inverse=True)
    table = np.zeros((len(clusters), len(classes)), dtype=np.int64)
    np.add.at(table, (pred_idx, true_idx), 1)
    return table, clusters, classes


def hungarian_mapping(y_true: np.ndarray, y_pred: np.ndarray) -> dict[int, int]:
    """The one-to-one cluster -> class assignment with the most items in agreement (noise excluded)."""
    table, clusters, classes = contingency(y_true, y_pred)
    keep = clusters != NOISE
    rows, cols = linear_sum_assignment(-table[keep])
    return {int(clusters[keep][r]): int(classes[c]) for r, c in zip(rows, cols)}


def clustering_accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Fraction of items whose cluster is matched (one-to-one, Hungarian) to their class.

    With more clusters than classes the extra clusters match nothing and their items count as wrong.
    """
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if len(y_true) == 0:
        return 0.0
    mapping = hungarian_mapping(y_true, y_pred)
    mapped = np.array([mapping.get(int(c), None) for c in y_pred], dtype=object)
    return float(np.mean(mapped == y_true))


def purity(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Fraction of items in their cluster's majority class (noise items count as wrong)."""
    table, clusters, _ = contingency(np.asarray(y_true), np.asarray(y_pred))
    table = table[clusters != NOISE]
    return float(table.max(axis=1).sum() / max(len(y_true), 1)) if len(table) else 0.0


def external_scores(y_true: np.ndarray, y_pred: np.ndarray, class_names: Sequence[str]) -> dict:
    """Accuracy, NMI, ARI, purity and the per-cluster class counts; items with unknown label (-1) left out."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    known = y_true >= 0
    y_true, y_pred = y_true[known], y_pred[known]
    mapping = hungarian_mapping(y_true, y_pred)
    clusters = np.unique(y_pred)
    counts = {int(c): np.bincount(y_true[y_pred == c], minlength=len(class_names)).tolist() for c in clusters}
    return {
        "n_labelled": int(len(y_true)),
        "accuracy": clustering_accuracy(y_true, y_pred),
        "nmi": float(skm.normalized_mutual_info_score(y_true, y_pred)),
        "ari": float(skm.adjusted_rand_score(y_true, y_pred)),
        "purity": purity(y_true, y_pred),
        "matched_class": {str(c): class_names[k] for c, k in sorted(mapping.items())},
        "class_counts": {str(c): v for c, v in counts.items()},
        "class_names": list(class_names),
    }


def internal_scores(features: np.ndarray, labels: np.ndarray, seed: int = 0, sample_size: int = 5000) -> dict:
    """Silhouette (on a seeded sample of at most `sample_size` items), Davies-Bouldin, Calinski-Harabasz.

    Noise items are left out; with fewer than two clusters the scores are undefined (None).
    """
    keep = labels != NOISE
    x, y = (features, labels) if keep.all() else (features[keep], labels[keep])  # no copy without noise
    n_clusters = len(np.unique(y))
    if n_clusters < 2 or n_clusters >= len(y):
        return {"silhouette": None, "davies_bouldin": None, "calinski_harabasz": None}
    sample = min(sample_size, len(y)) if sample_size else None
    return {
        "silhouette": float(skm.silhouette_score(x, y, sample_size=sample, random_state=seed)),
        "davies_bouldin": float(skm.davies_bouldin_score(x, y)),
        "calinski_harabasz": float(skm.calinski_harabasz_score(x, y)),
    }


def within_cluster_ss(features: np.ndarray, labels: np.ndarray) -> float:
    """Sum of squared distances of items to their cluster's mean (K-means inertia for any partition)."""
    total = 0.0
    for c in np.unique(labels):
        if c == NOISE:
            continue
        members = features[labels == c].astype(np.float64)
        total += float(((members - members.mean(axis=0)) ** 2).sum())
    return total
