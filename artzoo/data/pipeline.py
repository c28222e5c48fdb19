"""tf.data input pipelines: decode -> resize -> cache -> shuffle -> batch -> augment -> prefetch.

Decoded, resized images are cached as uint8 (a quarter of float32's memory) so later epochs skip the
JPEG decoder; augmentation runs after the cache, on whole batches, so every epoch sees new variants.
"""

from __future__ import annotations

from typing import Optional, Sequence

import numpy as np
import tensorflow as tf

from artzoo.config import HeadConfig
from artzoo.data.resize import decode_rgb, resize_image

AUTOTUNE = tf.data.AUTOTUNE


def make_dataset(
    data: tf.data.Dataset,
    heads: Sequence[HeadConfig],
    num_classes: dict[str, int],
    image_size: int,
    batch_size: int,
    *,
    resize: str = "squash",
    training: bool = False,
    augmenter=None,
    cache: bool = True,
    shuffle_buffer: int = 2048,
    seed: int = 0,
    class_weights: Optional[dict[str, np.ndarray]] = None,
) -> tf.data.Dataset:
    """Batches of `(image, {head: target}, {head: sample_weight})` ready for `model.fit`.

    Targets are one-hot for softmax heads (so label smoothing works) and multi-hot for sigmoid heads. The
    sample weight of a head is its class weight, or 0 where the item's label for that head is missing.
    """

    def decode(image_bytes, labels):
        image = resize_image(decode_rgb(image_bytes), image_size, resize)
        return tf.cast(image, tf.uint8), labels

    ds = data.map(decode, num_parallel_calls=AUTOTUNE)
    if cache:
        ds = ds.cache()
    if training:
        ds = ds.shuffle(shuffle_buffer, seed=seed, reshuffle_each_iteration=True)
    ds = ds.batch(batch_size, num_parallel_calls=AUTOTUNE)
    weights = {h.name: tf.constant(class_weights[h.name]) for h in heads if class_weights and h.name in class_weights}

    def targets(images, labels):
        y, sw = {}, {}
        for h in heads:
            label = labels[h.name]
            if h.type == "softmax":
                known = label >= 0
                y[h.name] = tf.one_hot(tf.maximum(label, 0), num_classes[h.name])
                w = tf.gather(weights[h.name], tf.maximum(label, 0)) if h.name in weights else tf.ones_like(label, tf.float32)
                sw[h.name] = tf.where(known, w, 0.0)
            else:
                y[h.name] = tf.maximum(label, 0.0)
                sw[h.name] = tf.where(label[:, 0] >= 0, 1.0, 0.0)
        return tf.cast(images, tf.float32), y, sw

    ds = ds.map(targets, num_parallel_calls=AUTOTUNE)
    if training and augmenter is not None:
        ds = ds.map(lambda x, y, w: (augmenter(x, training=True), y, w), num_parallel_calls=AUTOTUNE)
    return ds.prefetch(AUTOTUNE)
