"""Grad-CAM by class: a few images of every class of a softmax head, each over its Grad-CAM map, one row pair
per class, so what the model looks at for each style (or genre) can be compared side by side."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from artzoo.config import HeadConfig
from artzoo.reporting import figures as fig
from artzoo.reporting.gradcam import grad_cam
from artzoo.reporting.report_html import Figure

MAX_CLASSES = 16  # a head with more classes gets no by-class grid (it would not be readable)


def images_by_class(ds, head: str, n_classes: int, per_class: int) -> dict[int, list[np.ndarray]]:
    """The first `per_class` images of every class of `head` in batches of `(image, targets, weights)`."""
    found: dict[int, list[np.ndarray]] = {c: [] for c in range(n_classes)}
    for images, targets, weights in ds:
        labels = np.where(weights[head].numpy() > 0, targets[head].numpy().argmax(axis=1), -1)
        for image, label in zip(images.numpy(), labels):
            if label >= 0 and len(found[int(label)]) < per_class:
                found[int(label)].append(image.astype(np.uint8))
        if all(len(v) >= per_class for v in found.values()):
            break
    return found


def class_gradcam_figures(model, ds, heads: Sequence[HeadConfig], classes: dict[str, list[str]], split: str,
                          plots: Path, per_class: int = 3) -> list[Figure]:
    """One grid per softmax head with at most MAX_CLASSES classes: `per_class` images of each class (rows in
    class order), captioned with the true and the predicted class."""
    out = []
    for head in heads:
        names = classes[head.name]
        if head.type != "softmax" or len(names) > MAX_CLASSES:
            continue
        found = images_by_class(ds, head.name, len(names), per_class)
        images = [im for c in range(len(names)) for im in found[c]]
        truth = [names[c] for c in range(len(names)) for _ in found[c]]
        if not images:
            continue
        maps, chosen, scores = grad_cam(model, np.stack(images).astype(np.float32), head.name)
        captions = [f"true {t}\npredicted {names[c]} {s:.2f}" for t, c, s in zip(truth, chosen, scores)]
        path = fig.overlay_grid(images, maps, captions, plots / f"gradcam_by_class_{split}_{head.name}.png",
                                title=f"Grad-CAM of head {head.name}, {per_class} {split} images per class",
                                columns=per_class)
        out.append(Figure(path, f"Grad-CAM of head {head.name} by class: {per_class} {split} images of each class "
                                "(rows in class order; red: evidence for the predicted class)"))
    return out
