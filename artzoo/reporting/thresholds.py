"""Per-label decision thresholds for multi-label (sigmoid) heads, tuned on val to maximise F-beta (F2 by default).

F2 weighs recall four times as much as precision, which suits tagging: a missed tag costs more than an extra
one (the Met artwork-recognition study scores its tags with F2). Each label's threshold is chosen on val among
its own predicted probabilities (scikit-learn's precision-recall curve) and 0.5; the tuned thresholds are then
applied unchanged to test, so test scores stay honest.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
from sklearn import metrics as skm

DEFAULT_THRESHOLD = 0.5


def _known(y_true: np.ndarray, probs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows whose label vector is known (missing rows are all negative)."""
    y_true = np.asarray(y_true)
    keep = y_true[:, 0] >= 0
    return y_true[keep].astype(int), np.asarray(probs, dtype=np.float64)[keep]


def label_threshold(y_true: np.ndarray, scores: np.ndarray, beta: float = 2.0) -> float:
    """The threshold t maximising F-beta of `scores >= t` for one label; 0.5 when val has no positive
    or when no threshold beats 0.5."""
    y_true = np.asarray(y_true).astype(int)
    scores = np.asarray(scores, dtype=np.float64)
    if y_true.sum() == 0:
        return DEFAULT_THRESHOLD
    precision, recall, candidates = skm.precision_recall_curve(y_true, scores)
    # precision/recall have one more entry than candidates (the final point with recall 0): drop it.
    p, r = precision[:-1], recall[:-1]
    b2 = beta * beta
    with np.errstate(divide="ignore", invalid="ignore"):
        fbeta = np.where(p + r > 0, (1 + b2) * p * r / (b2 * p + r), 0.0)
    at_default = skm.fbeta_score(y_true, (scores >= DEFAULT_THRESHOLD).astype(int), beta=beta, zero_division=0)
    best = int(np.argmax(fbeta))
    if fbeta[best] <= at_default + 1e-12:
        return DEFAULT_THRESHOLD
    return float(candidates[best])


def tune_thresholds(y_true: np.ndarray, probs: np.ndarray, beta: float = 2.0) -> np.ndarray:
    """Per-label thresholds maximising each label's F-beta on (y_true, probs); rows with missing labels
    (negative entries) are left out."""
    y_true, probs = _known(y_true, probs)
    return np.array([label_threshold(y_true[:, j], probs[:, j], beta) for j in range(y_true.shape[1])])


def fbeta_at(y_true: np.ndarray, probs: np.ndarray, thresholds, beta: float = 2.0, average: str = "micro") -> float:
    """F-beta of `probs >= thresholds` (scikit-learn), rows with missing labels left out."""
    y_true, probs = _known(y_true, probs)
    thresholds = np.broadcast_to(np.asarray(thresholds, dtype=np.float64), (probs.shape[1],))
    y_pred = (probs >= thresholds).astype(int)
    return float(skm.fbeta_score(y_true, y_pred, beta=beta, average=average, zero_division=0))


def threshold_report(y_true: np.ndarray, probs: np.ndarray, class_names: Sequence[str], beta: float = 2.0) -> dict:
    """Tunes thresholds on (y_true, probs), normally val, and says whether val F-beta rose over 0.5.

    Returns:
        {"thresholds": {label: t}, "beta": beta, "val_f{beta}_micro"/"macro" at 0.5 and tuned,
         "gain_micro", "gain_macro", "improved": bool, "verdict": one sentence}.
    """
    thresholds = tune_thresholds(y_true, probs, beta)
    name = f"f{beta:g}"
    out: dict = {"beta": beta, "thresholds": dict(zip(class_names, thresholds.tolist()))}
    for average in ("micro", "macro"):
        before = fbeta_at(y_true, probs, DEFAULT_THRESHOLD, beta, average)
        after = fbeta_at(y_true, probs, thresholds, beta, average)
        out[f"val_{name}_{average}_at_0.5"] = before
        out[f"val_{name}_{average}_tuned"] = after
        out[f"gain_{average}"] = after - before
    out["improved"] = bool(out["gain_micro"] > 1e-9 or out["gain_macro"] > 1e-9)
    if out["improved"]:
        out["verdict"] = (f"tuned thresholds raise val {name.upper()} micro from {out[f'val_{name}_micro_at_0.5']:.4f} "
                          f"to {out[f'val_{name}_micro_tuned']:.4f} (macro {out[f'val_{name}_macro_at_0.5']:.4f} "
                          f"to {out[f'val_{name}_macro_tuned']:.4f})")
    else:
        out["verdict"] = f"tuning did not raise val {name.upper()} over 0.5 thresholds; the 0.5 thresholds are kept"
    return out


def tune_sigmoid_heads(heads, probs: dict, labels: dict, classes: dict, beta: float = 2.0) -> dict[str, dict]:
    """`threshold_report` for every sigmoid head from its val probabilities and labels."""
    return {h.name: threshold_report(labels[h.name], probs[h.name], classes[h.name], beta)
            for h in heads if h.type == "sigmoid"}


def thresholds_by_head(tuning: dict[str, dict]) -> dict[str, np.ndarray]:
    return {head: np.array(list(report["thresholds"].values())) for head, report in tuning.items()}


def record_tuning(metrics: dict, tuning: dict[str, dict], val_split: str) -> None:
    """Marks tuned heads in every split's metrics and keeps the tuning report beside val's."""
    for split, per_head in metrics.items():
        for head, report in tuning.items():
            if head in per_head:
                per_head[head]["thresholds_tuned"] = True
                if split == val_split:
                    per_head[head]["threshold_tuning"] = report

