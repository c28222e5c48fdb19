"""Phase 1 on cached embeddings: the frozen backbone runs once per image, the heads train on its vectors.

While the backbone is frozen and nothing changes its input from epoch to epoch (no augmentation, no
resampling), every epoch would push the same images through the same frozen graph up to the `pool` layer.
The fast path computes those pooled vectors once (the `artzoo.embeddings` embedder: the classifier cut at
`pool`), then fits a model made of the classifier's own head layers, from `pool` to the outputs, on them.
The layers are shared, so the trained head weights are the full model's: the best-model checkpoint saves
the full classifier and phase 2 (fine-tuning) starts from it exactly as after a slow phase 1.

`fast_path_reason` decides; `train.cached_heads: off` turns the fast path off.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable, Optional

import keras
import numpy as np
import tensorflow as tf

from artzoo.config import RunConfig
from artzoo.data.augment import build_augmenter
from artzoo.data.balance import class_weights
from artzoo.data.pipeline import make_dataset
from artzoo.data.sources import LabeledData
from artzoo.embeddings.extractor import POOL_LAYER, inference_function, pooled_model
from artzoo.train.finetune import trains_from_scratch


def fast_path_reason(cfg: RunConfig, num_workers: int = 1, strategy_kind: str = "none") -> str:
    """Why phase 1 must run through the backbone, or "" when it can train the heads on cached embeddings."""
    m, d, t = cfg.model, cfg.data, cfg.train
    if t.cached_heads == "off":
        return "turned off (train.cached_heads: off)"
    if t.epochs <= 0:
        return "no frozen phase (train.epochs 0)"
    if trains_from_scratch(m.weights):
        return "weights none: the backbone itself trains in phase 1"
    if m.se or m.attention or m.pooling == "attention":
        return "trainable layers between the backbone and the pooled features (se / attention / attention pooling)"
    if build_augmenter(d.augment, t.seed) is not None or d.augment.mix != "none":
        return "augmentation changes the backbone's input every epoch (data.augment)"
    if any(h.rare_augment for h in m.heads):
        return "rare-class augmentation changes the backbone's input every epoch"
    if d.balance != "none":
        return f"data.balance {d.balance} draws a different stream every epoch"
    if num_workers > 1 or strategy_kind == "tpu":
        return f"strategy {strategy_kind} shards the image pipeline"
    return ""


@dataclass
class CachedSplit:
    """One split's pooled vectors with the targets and sample weights the image pipeline gives them."""

    features: np.ndarray
    targets: dict[str, np.ndarray]
    weights: dict[str, np.ndarray]

    def __len__(self) -> int:
        return len(self.features)

    def dataset(self, batch_size: int, shuffle_buffer: int = 0, seed: int = 0) -> tf.data.Dataset:
        """Batches in the stored order, or shuffled every epoch as the image pipeline does (same buffer, seed)."""
        ds = tf.data.Dataset.from_tensor_slices((self.features, self.targets, self.weights))
        if shuffle_buffer > 1:
            ds = ds.shuffle(shuffle_buffer, seed=seed, reshuffle_each_iteration=True)
        return ds.batch(batch_size).prefetch(tf.data.AUTOTUNE)


def embed_split(pooled: keras.Model, ds: tf.data.Dataset) -> CachedSplit:
    """Runs `pooled` once over a batched `(image, targets, weights)` pipeline, keeping targets and weights."""
    infer = inference_function(pooled)
    features, targets, weights = [], {}, {}
    for images, y, sw in ds:
        features.append(tf.cast(infer(images), tf.float32).numpy())
        for name in y:
            targets.setdefault(name, []).append(y[name].numpy())
            weights.setdefault(name, []).append(sw[name].numpy())
    return CachedSplit(np.concatenate(features),
                       {k: np.concatenate(v) for k, v in targets.items()},
                       {k: np.concatenate(v) for k, v in weights.items()})


def head_model(model: keras.Model) -> keras.Model:
    """The classifier from its pooled features to its outputs, sharing the classifier's head layers."""
    outputs = {name: model.get_layer(name).output for name in model.output}
    return keras.Model(model.get_layer(POOL_LAYER).output, outputs, name=f"{model.name}_heads")


@dataclass
class HeadInputs:
    """What phase 1 fits on the fast path: the head model and its cached train and val pipelines."""

    model: keras.Model
    train: tf.data.Dataset
    val: tf.data.Dataset
    seconds: float


def cached_head_inputs(cfg: RunConfig, data: LabeledData, batch_size: int) -> Callable[[keras.Model], HeadInputs]:
    """A function that embeds the train and val splits with a (frozen) classifier and returns the head model
    and the pipelines over the cached vectors. Train items keep their class weights and are shuffled every
    epoch with the image pipeline's buffer and seed, so both paths see the items in the same order."""
    heads = cfg.model.heads
    num_classes = {h.name: len(data.classes[h.name]) for h in heads}
    counts = data.counts[cfg.data.train_split]
    weights = {h.name: class_weights(counts[h.name], h.class_weight) for h in heads if h.type == "softmax"}
    common = dict(image_size=cfg.data.image_size, batch_size=batch_size, resize=cfg.data.resize,
                  decode=cfg.data.decode, cache=False)

    def build(model: keras.Model) -> HeadInputs:
        started = time.time()
        pooled = pooled_model(model)
        train_images = make_dataset(data.split(cfg.data.train_split), heads, num_classes, class_weights=weights,
                                    **common)
        val_images = make_dataset(data.split(cfg.data.val_split), heads, num_classes, **common)
        train, val = embed_split(pooled, train_images), embed_split(pooled, val_images)
        train_ds = train.dataset(batch_size, cfg.data.shuffle_buffer, cfg.train.seed)
        return HeadInputs(head_model(model), train_ds,
                          val.dataset(batch_size), time.time() - started)

    return build


def maybe_cached_head_inputs(cfg: RunConfig, data: LabeledData, batch_size: int, num_workers: int,
                             strategy_kind: str) -> tuple[Optional[Callable], str]:
    """`cached_head_inputs` when the fast path applies, else None; and a line saying which path and why."""
    reason = fast_path_reason(cfg, num_workers, strategy_kind)
    if reason:
        return None, f"images through the frozen backbone: {reason}"
    return cached_head_inputs(cfg, data, batch_size), "cached embeddings (train.cached_heads: off to disable)"
