"""One pass of a model over a labelled split that keeps what a report shows: the most confident mistakes of
each softmax head and a few sample images spread over the classes (for Grad-CAM and attention maps).

Only the images that end up shown are kept in memory, so a large split costs no more than a small one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from artzoo.config import HeadConfig


@dataclass
class Mistake:
    image: np.ndarray  # uint8 (H, W, 3)
    true: int
    predicted: int
    confidence: float  # probability of the predicted class


@dataclass
class SplitSamples:
    mistakes: dict[str, list[Mistake]] = field(default_factory=dict)  # softmax head -> most confident first
    images: list[np.ndarray] = field(default_factory=list)  # uint8 samples, classes taken in turn
    labels: list[int] = field(default_factory=list)  # their class in the first softmax head (-1 if none)
    n: int = 0


def _keep_top(current: list[Mistake], new: list[Mistake], n: int) -> list[Mistake]:
    return sorted(current + new, key=lambda m: -m.confidence)[:n]


def _batch_mistakes(images, probs: np.ndarray, labels: np.ndarray, n: int) -> list[Mistake]:
    predicted = probs.argmax(axis=1)
    wrong = np.flatnonzero((labels >= 0) & (predicted != labels))
    confidence = probs[wrong, predicted[wrong]]
    chosen = wrong[np.argsort(-confidence)[:n]]
    return [Mistake(np.asarray(images[i], dtype=np.uint8), int(labels[i]), int(predicted[i]),
                    float(probs[i, predicted[i]])) for i in chosen]


def _spread_over_classes(pool: dict[int, list[np.ndarray]], n: int) -> tuple[list[np.ndarray], list[int]]:
    images, labels = [], []
    depth = 0
    while len(images) < n and any(len(v) > depth for v in pool.values()):
        for label in sorted(pool):
            if depth < len(pool[label]) and len(images) < n:
                images.append(pool[label][depth])
                labels.append(label)
        depth += 1
    return images, labels


def scan_split(model, ds, heads: Sequence[HeadConfig], n_mistakes: int = 12, n_samples: int = 8) -> SplitSamples:
    """Runs `model` over batches of `(image, targets, weights)` (see `artzoo.data.pipeline.make_dataset`)."""
    softmax = [h for h in heads if h.type == "softmax"]
    out = SplitSamples(mistakes={h.name: [] for h in softmax})
    pool: dict[int, list[np.ndarray]] = {}
    per_class = max(1, n_samples)
    for images, targets, weights in ds:
        images = images.numpy()
        probs = model.predict_on_batch(images)
        out.n += len(images)
        for h in softmax:
            labels = np.where(weights[h.name].numpy() > 0, targets[h.name].numpy().argmax(axis=1), -1)
            new = _batch_mistakes(images, np.asarray(probs[h.name], dtype=np.float64), labels, n_mistakes)
            out.mistakes[h.name] = _keep_top(out.mistakes[h.name], new, n_mistakes)
        if softmax:
            first = targets[softmax[0].name].numpy().argmax(axis=1)
            known = weights[softmax[0].name].numpy() > 0
        else:
            first, known = np.full(len(images), -1), np.ones(len(images), bool)
        for image, label, ok in zip(images, first, known):
            label = int(label) if ok else -1
            if len(pool.setdefault(label, [])) < per_class:
                pool[label].append(np.asarray(image, dtype=np.uint8))
    out.images, out.labels = _spread_over_classes(pool, n_samples)
    return out
