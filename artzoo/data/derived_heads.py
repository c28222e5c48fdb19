"""Extra heads whose labels follow from another head's class by a fixed table, e.g. CIFAR-10's class ->
animal or vehicle (softmax) and -> attributes such as has_wheels / flies (multi-label).

    data = load_folder(root, [HeadConfig("class")])
    data = with_derived_heads(data, "class", [
        DerivedHead("kind", "softmax", {"cat": "animal", "truck": "vehicle", ...}),
        DerivedHead("attributes", "sigmoid", {"cat": ["is_animal"], "truck": ["has_wheels"], ...}),
    ])
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence, Union

import numpy as np
import tensorflow as tf

from artzoo.data.sources import LabeledData
from artzoo.errors import ArtzooError


@dataclass(frozen=True)
class DerivedHead:
    """A head derived from the base head's class names.

    Attributes:
        name: the new head's name.
        type: "softmax" (each base class maps to one class name) or "sigmoid" (to a list of tag names).
        mapping: base class name -> class name, or -> list of tag names (an empty list is a known "no tag").
    """

    name: str
    type: str
    mapping: Mapping[str, Union[str, Sequence[str]]]

    def classes(self) -> list[str]:
        if self.type == "softmax":
            return sorted(set(self.mapping.values()))
        return sorted({tag for tags in self.mapping.values() for tag in tags})

    def table(self, base_classes: list[str]) -> np.ndarray:
        """Row i: the label of base class i (a class index, or a multi-hot row)."""
        missing = [c for c in base_classes if c not in self.mapping]
        if missing:
            raise ArtzooError(f"derived head {self.name!r} has no mapping for class {missing[0]!r}")
        names = self.classes()
        if self.type == "softmax":
            return np.array([names.index(self.mapping[c]) for c in base_classes], dtype=np.int32)
        rows = np.zeros((len(base_classes), len(names)), dtype=np.float32)
        for i, c in enumerate(base_classes):
            rows[i, [names.index(t) for t in self.mapping[c]]] = 1.0
        return rows


def with_derived_heads(data: LabeledData, base: str, derived: Sequence[DerivedHead]) -> LabeledData:
    """Adds the derived heads' labels to every item of every split (and their classes and counts)."""
    if base not in data.classes:
        raise ArtzooError(f"unknown base head {base!r}; expected one of: {', '.join(data.classes)}")
    base_classes = data.classes[base]
    tables = {d.name: d.table(base_classes) for d in derived}

    def add_labels(image, labels):
        extra = {name: tf.gather(tf.constant(table), labels[base]) for name, table in tables.items()}
        return image, {**labels, **extra}

    splits = {split: ds.map(add_labels, num_parallel_calls=tf.data.AUTOTUNE) for split, ds in data.splits.items()}
    classes = {**data.classes, **{d.name: d.classes() for d in derived}}
    counts = {}
    for split, per_head in data.counts.items():
        base_counts = np.asarray(per_head[base], dtype=np.int64)
        extra = {}
        for d in derived:
            table = tables[d.name]
            if d.type == "softmax":
                extra[d.name] = np.bincount(table, weights=base_counts, minlength=len(d.classes())).astype(int).tolist()
            else:
                extra[d.name] = (base_counts[:, None] * table).sum(axis=0).astype(int).tolist()
        counts[split] = {**per_head, **extra}
    return LabeledData(splits, classes, counts, data.quarantine, data.source)
