"""Classification metrics from scikit-learn, per head: single-label (softmax) and multi-label (sigmoid)."""

from __future__ import annotations

from typing import Sequence

import numpy as np
from sklearn import metrics as skm


def softmax_metrics(y_true: np.ndarray, probs: np.ndarray, class_names: Sequence[str], top_k: int = 3) -> dict:
    """Accuracy, balanced accuracy, top-k, precision/recall/F1 (macro, micro, weighted, per class), confusion.

    Items whose label is missing (negative) are left out.
    """
    y_true = np.asarray(y_true)
    probs = np.asarray(probs, dtype=np.float64)
    keep = y_true >= 0
    y_true, probs = y_true[keep], probs[keep]
    labels = np.arange(len(class_names))
    y_pred = probs.argmax(axis=1)
    out = {
        "n": int(len(y_true)),
        "accuracy": float(skm.accuracy_score(y_true, y_pred)),
        "balanced_accuracy": float(skm.balanced_accuracy_score(y_true, y_pred)) if len(y_true) else 0.0,
    }
    k = min(top_k, len(class_names) - 1)
    if k >= 2:
        out[f"top{k}_accuracy"] = float(skm.top_k_accuracy_score(y_true, probs, k=k, labels=labels))
    for average in ("macro", "micro", "weighted"):
        p, r, f, _ = skm.precision_recall_fscore_support(
            y_true, y_pred, labels=labels, average=average, zero_division=0
        )
        out[average] = {"precision": float(p), "recall": float(r), "f1": float(f)}
    p, r, f, support = skm.precision_recall_fscore_support(y_true, y_pred, labels=labels, zero_division=0)
    out["per_class"] = {
        name: {"precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]), "support": int(support[i])}
        for i, name in enumerate(class_names)
    }
    out["confusion_matrix"] = skm.confusion_matrix(y_true, y_pred, labels=labels).tolist()
    out["class_names"] = list(class_names)
    return out


def multilabel_metrics(
    y_true: np.ndarray, probs: np.ndarray, class_names: Sequence[str], thresholds: float | np.ndarray = 0.5
) -> dict:
    """F1 and F2 (micro, macro, per-sample), mAP and per-label scores at the given decision thresholds.

    Items whose label vector is missing (negative) are left out.
    """
    y_true = np.asarray(y_true)
    probs = np.asarray(probs, dtype=np.float64)
    keep = y_true[:, 0] >= 0
    y_true, probs = y_true[keep].astype(int), probs[keep]
    thresholds = np.broadcast_to(np.asarray(thresholds, dtype=np.float64), (len(class_names),))
    y_pred = (probs >= thresholds).astype(int)
    out = {"n": int(len(y_true)), "thresholds": thresholds.tolist()}
    for beta, name in ((1.0, "f1"), (2.0, "f2")):
        for average in ("micro", "macro", "samples"):
            out[f"{name}_{average}"] = float(
                skm.fbeta_score(y_true, y_pred, beta=beta, average=average, zero_division=0)
            )
    present = y_true.sum(axis=0) > 0
    out["mAP"] = (
        float(skm.average_precision_score(y_true[:, present], probs[:, present], average="macro"))
        if present.any() else 0.0
    )
    p, r, f, support = skm.precision_recall_fscore_support(y_true, y_pred, average=None, zero_division=0)
    out["per_class"] = {
        name: {"precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]), "support": int(support[i])}
        for i, name in enumerate(class_names)
    }
    out["class_names"] = list(class_names)
    if np.any(thresholds != 0.5):
        default = (probs >= 0.5).astype(int)
        out["at_0.5"] = {
            f"{name}_{average}": float(skm.fbeta_score(y_true, default, beta=beta, average=average, zero_division=0))
            for beta, name in ((1.0, "f1"), (2.0, "f2")) for average in ("micro", "macro", "samples")
        }
    return out
