"""K-fold cross-validation splits of a labelled dataset: train and val pooled, then cut into k stratified folds.

The 200 val images of a small collection also pick the best epoch, so one val score flatters the recipe that
happened to suit them; k folds give every image one turn as held-out data and a spread (mean ± sd) to compare
recipes by. Fold i trains on the other k - 1 folds and holds out fold i as its `val` split.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Sequence

import numpy as np
import tensorflow as tf
from sklearn.model_selection import StratifiedKFold

from artzoo.config import HeadConfig
from artzoo.data.balance import head_labels
from artzoo.data.sources import LabeledData
from artzoo.errors import ArtzooError


def pooled(data: LabeledData, splits: Sequence[str]) -> tf.data.Dataset:
    ds = data.split(splits[0])
    for name in splits[1:]:
        ds = ds.concatenate(data.split(name))
    return ds


def fold_assignment(labels: np.ndarray, k: int, seed: int) -> np.ndarray:
    """Each item's fold (0..k-1), stratified by `labels` (items without a label are spread as one more class)."""
    counts = np.bincount(labels[labels >= 0])
    if k < 2 or (counts[counts > 0] < k).any():
        smallest = int(counts[counts > 0].min()) if counts.any() else 0
        raise ArtzooError(f"--cv {k}: needs k >= 2 and at least k images in every class (smallest class has "
                          f"{smallest})")
    folds = np.zeros(len(labels), dtype=np.int32)
    splitter = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
    for fold, (_, held_out) in enumerate(splitter.split(np.zeros(len(labels)), labels)):
        folds[held_out] = fold
    return folds


def _subset(ds: tf.data.Dataset, keep: np.ndarray) -> tf.data.Dataset:
    """The items where `keep` is True, with that known size (a filter alone leaves Keras guessing the epoch)."""
    table = tf.constant(keep)
    subset = ds.enumerate().filter(lambda i, _: tf.gather(table, i)).map(lambda _, item: item)
    return subset.apply(tf.data.experimental.assert_cardinality(int(keep.sum())))


def cv_folds(data: LabeledData, heads: Sequence[HeadConfig], k: int, seed: int,
             splits: Sequence[str] = ("train", "val")) -> list[LabeledData]:
    """k LabeledData, fold i with `train` = the other folds and `val` = fold i, stratified by the first head."""
    ds = pooled(data, splits)
    for h in heads:
        if h.type != "softmax":
            raise ArtzooError(f"--cv stratifies softmax heads only; head {h.name!r} is {h.type}")
    labels = {h.name: head_labels(ds, h.name) for h in heads}
    folds = fold_assignment(labels[heads[0].name], k, seed)
    out = []
    for fold in range(k):
        held = folds == fold
        parts = {"train": _subset(ds, ~held), "val": _subset(ds, held)}
        counts = {name: {h.name: _counts(labels[h.name][mask], len(data.classes[h.name])) for h in heads}
                  for name, mask in (("train", ~held), ("val", held))}
        out.append(replace(data, splits=parts, counts=counts, source=f"{data.source} fold {fold + 1}/{k}"))
    return out


def _counts(labels: np.ndarray, n_classes: int) -> list[int]:
    return np.bincount(labels[labels >= 0], minlength=n_classes).tolist()
