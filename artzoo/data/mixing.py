"""MixUp / CutMix for multi-head batches, with Keras core's `keras.layers.MixUp` and `keras.layers.CutMix`.

The Keras layers mix one `labels` tensor; a multi-head batch has a target per head and sample weights
that mask missing labels. So one random transformation (partner permutation and mixing weight per image)
is drawn per batch and applied to the images and to every head's target, and a mixed item's sample
weight is the mixed weight of its two sources, or 0 when either source lacks that head's label (its
target would otherwise be half made up).

CutMix's own label weight (Keras 3.15) is the continuous area of its box, while its mask covers whole
pixels; on small images they differ by several per cent. The weight used here is the mask's true share.
"""

from __future__ import annotations

from typing import Optional

import keras
import tensorflow as tf

from artzoo.config import AugmentConfig
from artzoo.data.augment import FLOAT32  # pinned like the augmenter: float32 under any global policy
from artzoo.errors import choice_error

MIXES = ("none", "mixup", "cutmix")


class BatchMixer:
    """Callable for `tf.data.Dataset.map` over `(images, {head: target}, {head: sample_weight})` batches."""

    def __init__(self, layer: keras.layers.Layer):
        self.layer = layer

    def __call__(self, images, targets: dict, weights: dict):
        images = tf.cast(images, tf.float32)  # uint8 batches straight from the cache too
        transformation = self.layer.get_random_transformation({"images": images}, training=True)
        if "batch_masks" in transformation:  # CutMix: the share of pixels each image keeps of its own
            pasted = tf.reduce_mean(tf.cast(transformation["batch_masks"][..., 0], tf.float32), axis=[1, 2])
            transformation = {**transformation, "mix_weight": 1.0 - pasted}
        mixed = self.layer.transform_images(images, transformation, training=True)
        order = transformation["permutation_order"]
        share = tf.cast(tf.reshape(transformation["mix_weight"], [-1]), tf.float32)  # of the image's own source
        out_targets, out_weights = {}, {}
        for head, target in targets.items():
            out_targets[head] = tf.cast(self.layer.transform_labels(target, transformation, training=True), tf.float32)
            own, partner = weights[head], tf.gather(weights[head], order)
            both = tf.logical_and(own > 0, partner > 0)
            out_weights[head] = tf.where(both, share * own + (1.0 - share) * partner, 0.0)
        return tf.cast(mixed, tf.float32), out_targets, out_weights


def build_mixer(cfg: AugmentConfig, seed: int) -> Optional[BatchMixer]:
    if cfg.mix == "none":
        return None
    if cfg.mix == "mixup":
        return BatchMixer(keras.layers.MixUp(alpha=cfg.mixup_alpha, seed=seed + 7, dtype=FLOAT32))
    if cfg.mix == "cutmix":
        return BatchMixer(keras.layers.CutMix(factor=cfg.cutmix_alpha, seed=seed + 7, dtype=FLOAT32))
    raise choice_error("augment.mix", cfg.mix, MIXES)
