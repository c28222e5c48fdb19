"""tf.data input pipelines:
[undersample] -> decode -> resize -> cache -> [resample] -> shuffle -> batch -> targets -> augment (stronger on
rare classes) -> [mix] -> pixels -> prefetch; balance "sample" replaces decode..shuffle by one such stream per
class mixed with `sample_from_datasets`.

Decoded, resized images are cached as uint8 (a quarter of float32's memory) so later epochs skip the
JPEG decoder; augmentation runs after the cache, on whole batches, so every epoch sees new variants.
Undersampling picks its subset once, before decoding (nothing decoded in vain); resampling draws anew
every epoch from the cache and is cut (or topped up from a repeat) to a fixed epoch length, so every epoch has
the same number of batches. `pixels="uint8"` hands batches over as uint8 (a quarter of the bytes to copy to an
accelerator; the model casts them on the device), augmented ones rounded back; `drop_remainder` gives every
training batch the same shape (one XLA compilation, TPU).
"""

from __future__ import annotations

from typing import Optional, Sequence

import numpy as np
import tensorflow as tf

from artzoo.config import HeadConfig
from artzoo.data.balance import (
    BALANCES, head_labels, labelled_heads_groups, resample, resample_rates, sample_classes, undersample,
    undersample_mask,
)
from artzoo.data.rare_augment import augment_batches
from artzoo.data.resize import model_input
from artzoo.errors import ArtzooError, choice_error

AUTOTUNE = tf.data.AUTOTUNE
PIXELS = ("float32", "uint8")


def make_dataset(
    data: tf.data.Dataset,
    heads: Sequence[HeadConfig],
    num_classes: dict[str, int],
    image_size: int,
    batch_size: int,
    *,
    resize: str = "squash",
    decode: str = "full",
    training: bool = False,
    augmenter=None,
    mixer=None,
    cache: bool = True,
    shuffle_buffer: int = 2048,
    seed: int = 0,
    class_weights: Optional[dict[str, np.ndarray]] = None,
    balance: str = "none",
    balance_head: Optional[str] = None,
    rare_augmenter=None,
    rare_classes: Optional[dict[str, np.ndarray]] = None,
    pixels: str = "float32",
    drop_remainder: bool = False,
) -> tf.data.Dataset:
    """Batches of `(image, {head: target}, {head: sample_weight})` ready for `model.fit`.

    Targets are one-hot for softmax heads (so label smoothing and MixUp work) and multi-hot for sigmoid
    heads. The sample weight of a head is its class weight, or 0 where the item's label for that head is
    missing. `balance` ("undersample" / "resample", training only) balances the classes of `balance_head`
    (default: the first softmax head); "sources" draws equally from each set of labelled heads (collections);
    `mixer` (MixUp / CutMix, training only) mixes images and targets.
    `rare_augmenter` replaces `augmenter` on items of the classes marked True in `rare_classes[head]`.
    `decode`: "scaled" or "full" JPEG decoding (`artzoo.data.resize.decode_for_size`).
    `pixels`: the image dtype handed over, "float32" or "uint8"; `drop_remainder` (training only) drops a last
    partial batch.
    """
    if pixels not in PIXELS:
        raise choice_error("pixels", pixels, PIXELS)
    if balance not in BALANCES:
        raise choice_error("data.balance", balance, BALANCES)
    head = _balance_head(heads, balance_head) if training and balance not in ("none", "sources") else None
    if head and balance == "undersample":
        data = undersample(data, undersample_mask(head_labels(data, head), seed))
    def prepare(items):
        decoded = items.map(_decode_fn(image_size, resize, decode), num_parallel_calls=AUTOTUNE)
        return decoded.cache() if cache else decoded

    if training and balance == "sources":  # equal draws from each set of labelled heads (each collection)
        ds = sample_classes(data, labelled_heads_groups(data, heads), prepare, seed)
    elif head and balance == "sample":
        ds = sample_classes(data, head_labels(data, head), prepare, seed)  # already mixed: no shuffle
    else:
        ds = prepare(data)
        if head and balance == "resample":
            labels = head_labels(data, head)
            counts = np.bincount(labels[labels >= 0], minlength=num_classes[head])
            drawn = resample(ds, lambda item: item[1][head], resample_rates(counts), seed)
            ds = drawn.repeat().take(int((labels >= 0).sum()))  # the expected length, every epoch
        if training:
            ds = ds.shuffle(shuffle_buffer, seed=seed, reshuffle_each_iteration=True)
    ds = ds.batch(batch_size, num_parallel_calls=AUTOTUNE, drop_remainder=training and drop_remainder)
    ds = ds.map(_targets_fn(heads, num_classes, class_weights), num_parallel_calls=AUTOTUNE)
    if training and (augmenter is not None or rare_augmenter is not None):
        ds = ds.map(augment_batches(augmenter, rare_augmenter, rare_classes), num_parallel_calls=AUTOTUNE)
    if training and mixer is not None:
        ds = ds.map(mixer, num_parallel_calls=AUTOTUNE)
    return ds.map(_pixels_fn(pixels), num_parallel_calls=AUTOTUNE).prefetch(AUTOTUNE)


def _decode_fn(image_size: int, resize: str, decode: str):
    def prepare(image_bytes, labels):
        return tf.cast(model_input(image_bytes, image_size, resize, decode), tf.uint8), labels

    return prepare


def _balance_head(heads: Sequence[HeadConfig], name: Optional[str]) -> str:
    softmax = [h.name for h in heads if h.type == "softmax"]
    if name is None:
        if not softmax:
            raise ArtzooError("data.balance needs a softmax head to balance; every head here is sigmoid")
        return softmax[0]
    if name not in softmax:
        raise choice_error("data.balance_head", name, softmax)
    return name


def _targets_fn(heads: Sequence[HeadConfig], num_classes: dict[str, int], class_weights):
    weights = {h.name: tf.constant(class_weights[h.name]) for h in heads if class_weights and h.name in class_weights}

    def targets(images, labels):
        y, sw = {}, {}
        for h in heads:
            label = labels[h.name]
            if h.type == "softmax":
                known = label >= 0
                y[h.name] = tf.one_hot(tf.maximum(label, 0), num_classes[h.name])
                w = tf.ones_like(label, tf.float32)
                if h.name in weights:
                    w = tf.gather(weights[h.name], tf.maximum(label, 0))
                sw[h.name] = tf.where(known, w, 0.0)
            else:
                y[h.name] = tf.maximum(label, 0.0)
                sw[h.name] = tf.where(label[:, 0] >= 0, 1.0, 0.0)
        return images, y, sw  # uint8 from the cache; augmentation and `_pixels_fn` convert

    return targets


def _pixels_fn(pixels: str):
    """Batches with images as `pixels`: uint8 batches cast to float32, or (augmented) float32 ones rounded to
    uint8, values in 0..255 either way."""

    def convert(images, targets, weights):
        if pixels == "uint8" and images.dtype != tf.uint8:
            images = tf.cast(tf.round(tf.clip_by_value(images, 0.0, 255.0)), tf.uint8)
        elif pixels == "float32":
            images = tf.cast(images, tf.float32)
        return images, targets, weights

    return convert


def fill_caches(*datasets: tf.data.Dataset) -> int:
    """Reads each in-memory `cache()` inside `datasets` to its end in one plain pass, so that every later
    iterator only reads a complete cache; returns how many caches it found.

    Call it before a `fit` under a tf.distribute strategy. There Keras peeks one batch through a throwaway
    distributed iterator for its symbolic build (`fit` and `evaluate` both) and drops it. Over a cold cache that
    iterator is the cache's writer; torn down, its cancelled input can end with end-of-sequence rather than an
    error, and the writer then finalizes the shared cache with the items it had read ("Finalizing the cache
    because EOF has been reached"). Every later pass reads that truncated cache: a validation scored 21 or 22 of
    24 images (2 of 73 cold `evaluate` calls on two logical CPUs; 0 of 30 with the cache filled first).
    """
    caches = _cache_stages(datasets)
    for cache in caches:
        for _ in cache.batch(256):  # the cache's own elements: nothing after it (shuffle, augmentation) runs
            pass
    return len(caches)


def _cache_stages(datasets) -> list[tf.data.Dataset]:
    """The `cache()` datasets inside `datasets`, found through each dataset's inputs."""
    found, seen, stack = [], set(), list(datasets)
    while stack:
        ds = stack.pop()
        if id(ds) in seen:
            continue
        seen.add(id(ds))
        if type(ds).__name__ == "CacheDataset":  # tf.data's class for Dataset.cache()
            found.append(ds)
        stack.extend(ds._inputs())
    return found

