"""Class weights from label counts, applied per head as sample weights (Keras's class_weight only works
for single-output models)."""

from __future__ import annotations

import numpy as np


def class_weights(counts: list[int] | np.ndarray, method: str = "balanced", beta: float = 0.999) -> np.ndarray:
    """Per-class weights, normalised so that the weighted mean over the training set is 1.

    Args:
        counts: images per class in the training split.
        method: "none"; "balanced" (n / (k * n_c), as scikit-learn); "effective" (Cui et al. 2019,
            (1 - beta) / (1 - beta ** n_c)).
    """
    counts = np.asarray(counts, dtype=np.float64)
    if method == "none":
        return np.ones_like(counts, dtype=np.float32)
    safe = np.maximum(counts, 1.0)
    if method == "balanced":
        weights = counts.sum() / (len(counts) * safe)
    elif method == "effective":
        weights = (1.0 - beta) / (1.0 - np.power(beta, safe))
    else:
        raise ValueError(f"unknown class weight method {method!r}")
    weights *= counts.sum() / max(float((weights * counts).sum()), 1e-12)
    return weights.astype(np.float32)
