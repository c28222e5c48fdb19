"""Stronger augmentation for rare classes: items of a head's rare classes get a second, stronger augmenter
instead of the usual one, so the few images of a rare class come back more varied than the many of a big one.

The choice is made per item inside each training batch (after the targets, before MixUp / CutMix): an item is
rare when, for any head with `rare_augment`, its label is known and one of that head's rare classes.
"""

from __future__ import annotations

from typing import Optional, Sequence

import numpy as np
import tensorflow as tf

from artzoo.errors import ArtzooError


def rare_classes_by_count(counts: Sequence[int], below: float) -> list[int]:
    """Indices of the classes with fewer than `below` x the largest class's items (empty classes included)."""
    if not 0.0 < below <= 1.0:
        raise ArtzooError(f"data.rare_below must be a share in (0, 1], got {below}")
    counts = np.asarray(counts, dtype=np.float64)
    return [int(i) for i in np.flatnonzero(counts < below * counts.max())] if counts.size else []


def rare_class_table(class_names: Sequence[str], rare: Sequence[str]) -> np.ndarray:
    """A boolean per class of the head: True for the classes named in `rare`."""
    unknown = sorted(set(rare) - set(class_names))
    if unknown:
        raise ArtzooError(f"rare class {unknown[0]!r} is not a class of the head; expected some of: "
                          + ", ".join(class_names))
    return np.isin(np.asarray(class_names, dtype=object), list(rare))


def rare_item_mask(targets: dict, weights: dict, tables: dict[str, np.ndarray]) -> tf.Tensor:
    """Per item of a batch: True when it belongs to a rare class of any head in `tables`.

    `targets[head]` are one-hot rows and `weights[head]` the sample weights (0 where the label is missing).
    """
    masks = []
    for head, table in tables.items():
        label = tf.argmax(targets[head], axis=-1)
        known = weights[head] > 0
        masks.append(tf.logical_and(known, tf.gather(tf.constant(table), label)))
    return tf.reduce_any(tf.stack(masks), axis=0)


def augment_batches(augmenter=None, rare_augmenter=None, tables: Optional[dict[str, np.ndarray]] = None):
    """A tf.data map function `(images, targets, weights) -> same` applying `augmenter` to every item, and
    `rare_augmenter` instead to the items `rare_item_mask` marks; float32 pixels in [0, 255] out.

    The rare augmenter runs only on a batch that holds rare items, and there only on those items (gathered,
    augmented, scattered back): most batches of an imbalanced set hold few or none.
    """
    tables = {h: t for h, t in (tables or {}).items() if t.any()}

    def augment(images, targets, weights):
        images = tf.cast(images, tf.float32)
        out = tf.cast(augmenter(images, training=True), tf.float32) if augmenter is not None else images
        if rare_augmenter is not None and tables:
            rare = rare_item_mask(targets, weights, tables)

            def with_rare_items(out=out):
                where = tf.where(rare)  # (rare items, 1)
                strong = rare_augmenter(tf.gather_nd(images, where), training=True)
                return tf.tensor_scatter_nd_update(out, where, tf.cast(strong, tf.float32))

            out = tf.cond(tf.reduce_any(rare), with_rare_items, lambda: out)
        return tf.clip_by_value(out, 0.0, 255.0), targets, weights

    return augment
