"""Runs a model over a labelled split and scores every head."""

from __future__ import annotations

from typing import Sequence

import numpy as np
import tensorflow as tf

from artzoo.config import HeadConfig
from artzoo.metrics import multilabel_metrics, softmax_metrics
from artzoo.progress_bars import track


def predict_with_labels(model, ds: tf.data.Dataset, heads: Sequence[HeadConfig]):
    """One pass over batches of `(image, targets, weights)`: probabilities and labels per head.

    Labels come back as class indices for softmax heads and multi-hot rows for sigmoid heads, with -1
    where the item's label was missing (weight 0).
    """
    probs = {h.name: [] for h in heads}
    labels = {h.name: [] for h in heads}
    batches = track(ds, what="evaluate", unit="image", size=lambda batch: int(batch[0].shape[0]))
    for images, targets, weights in batches:
        out = model.predict_on_batch(images)
        for h in heads:
            probs[h.name].append(np.asarray(out[h.name], dtype=np.float32))
            known = weights[h.name].numpy() > 0
            target = targets[h.name].numpy()
            if h.type == "softmax":
                labels[h.name].append(np.where(known, target.argmax(axis=1), -1))
            else:
                labels[h.name].append(np.where(known[:, None], target, -1))
    return ({k: np.concatenate(v) for k, v in probs.items()}, {k: np.concatenate(v) for k, v in labels.items()})


def score_heads(probs: dict, labels: dict, heads: Sequence[HeadConfig], classes: dict[str, list[str]],
                thresholds: dict | None = None) -> dict:
    """Metrics per head; sigmoid heads decide at `thresholds[head]` (per label) where given, else at 0.5."""
    thresholds = thresholds or {}
    return {
        h.name: softmax_metrics(labels[h.name], probs[h.name], classes[h.name], h.top_k)
        if h.type == "softmax"
        else multilabel_metrics(labels[h.name], probs[h.name], classes[h.name], thresholds.get(h.name, 0.5))
        for h in heads
    }
