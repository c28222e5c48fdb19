"""Nearest neighbours mined on the embeddings (scikit-learn), the first step of SCAN, and how often they agree
with the labels (neighbour purity: the share of an item's k neighbours in its own class; the SCAN paper's
measure of how much a clustering of the neighbours can hope to get right)."""

from __future__ import annotations

import numpy as np
from sklearn.neighbors import NearestNeighbors
from sklearn.preprocessing import normalize as sk_normalize

from artzoo.errors import ArtzooError


def unit_centred(x: np.ndarray) -> np.ndarray:
    """Rows L2-normalised, centred (the mean unit vector removed), L2-normalised again.

    Pooled CNN features share a large common component; removing it raised the 20-neighbour purity of
    MobileNetV2 CIFAR-10 features from 0.603 to 0.630 (PCA whitening instead lowered it to 0.58)."""
    unit = sk_normalize(np.asarray(x, dtype=np.float32), norm="l2")
    return sk_normalize(unit - unit.mean(axis=0), norm="l2")


def mine_neighbours(x: np.ndarray, k: int, views: np.ndarray | None = None) -> np.ndarray:
    """The `k` nearest other items of every row of `x` by cosine similarity after centring (`unit_centred`):
    (n, k) int32, nearest first. With `views` (v, n, d), the vectors are the mean of the unit-normalised
    views (test-time augmentation: a flipped copy's embedding averaged in)."""
    n = len(x)
    if not 1 <= k < n:
        raise ArtzooError(f"--neighbours {k} must be between 1 and {n - 1} (the number of other items)")
    if views is not None:
        x = sum(sk_normalize(np.asarray(v, dtype=np.float32), norm="l2") for v in views)
    unit = unit_centred(x)
    # Euclidean distance between unit vectors orders exactly as cosine similarity does, and lets the tree and
    # BLAS paths of scikit-learn do the work in blocks (no n x n matrix held).
    _, idx = NearestNeighbors(n_neighbors=k + 1).fit(unit).kneighbors(unit)
    return _drop_self(idx).astype(np.int32)


def _drop_self(idx: np.ndarray) -> np.ndarray:
    """Removes each row's own index (usually first; with duplicates it may sit anywhere, or be missing)."""
    rows = np.arange(len(idx))[:, None]
    is_self = idx == rows
    missing = ~is_self.any(axis=1)
    is_self[missing, -1] = True  # a row whose self was crowded out by duplicates drops its farthest instead
    return idx[~is_self].reshape(len(idx), idx.shape[1] - 1)


def neighbour_purity(neighbours: np.ndarray, labels: np.ndarray) -> float | None:
    """Share of (item, neighbour) pairs with the same class, over items with a known label (-1 unknown)."""
    labels = np.asarray(labels)
    known = labels >= 0
    if not known.any():
        return None
    same = labels[neighbours[known]] == labels[known][:, None]
    valid = labels[neighbours[known]] >= 0
    return float(same[valid].mean()) if valid.any() else None
