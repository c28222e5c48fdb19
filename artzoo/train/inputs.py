"""A training run's input pipelines: train and val at the global batch size, shaped for the accelerator.

- Images travel as uint8 (the model casts them on the device): a quarter of float32's bytes per copy.
- `data.drop_remainder` ("auto": when the training step compiles with XLA, and on a TPU) gives every training
  batch one static shape, so XLA compiles the step once; with `data.balance` the epoch length is fixed too
  (`artzoo.data.pipeline`), so it does not compile again every epoch.
- Steps per epoch (learning-rate schedules count optimizer steps) follow the balanced epoch size and the
  dropped remainder.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import tensorflow as tf

from artzoo.config import RunConfig
from artzoo.data.augment import build_augmenter
from artzoo.data.balance import balanced_epoch_size, class_weights, labelled_heads_groups
from artzoo.data.mixing import build_mixer
from artzoo.data.pipeline import make_dataset
from artzoo.data.sources import LabeledData
from artzoo.errors import ArtzooError
from artzoo.train.imbalance import rare_augmentation
from artzoo.train.strategy import Distribution, shard_by_data


@dataclass
class TrainingInputs:
    train: tf.data.Dataset
    val: tf.data.Dataset
    steps_per_epoch: int
    drop_remainder: bool


def training_inputs(cfg: RunConfig, data: LabeledData, batch_size: int, dist: Distribution) -> TrainingInputs:
    """Train and val pipelines batched at the global batch size; Keras splits each batch over the replicas."""
    heads = cfg.model.heads
    num_classes = {h.name: len(data.classes[h.name]) for h in heads}
    train_counts = data.counts[cfg.data.train_split]
    weights = {h.name: class_weights(train_counts[h.name], h.class_weight) for h in heads if h.type == "softmax"}
    rare_augmenter, rare_tables = rare_augmentation(cfg, data.classes)
    items = epoch_size(cfg, data)
    drop = drops_remainder(cfg, dist, items, batch_size)
    common = dict(image_size=cfg.data.image_size, batch_size=batch_size, resize=cfg.data.resize,
                  decode=cfg.data.decode, cache=cfg.data.cache, seed=cfg.train.seed, pixels="uint8")
    train_ds = make_dataset(
        data.split(cfg.data.train_split), heads, num_classes, training=True, shuffle_buffer=cfg.data.shuffle_buffer,
        augmenter=build_augmenter(cfg.data.augment, cfg.train.seed),
        mixer=build_mixer(cfg.data.augment, cfg.train.seed),
        class_weights=weights, balance=cfg.data.balance, balance_head=cfg.data.balance_head,
        rare_augmenter=rare_augmenter, rare_classes=rare_tables, drop_remainder=drop, **common,
    )
    val_ds = make_dataset(data.split(cfg.data.val_split), heads, num_classes, **common)
    if dist.num_workers > 1:
        train_ds, val_ds = shard_by_data(train_ds), shard_by_data(val_ds)
    steps = items // batch_size if drop else math.ceil(items / batch_size)
    return TrainingInputs(train_ds, val_ds, max(steps, 1), drop)


def epoch_size(cfg: RunConfig, data: LabeledData) -> int:
    """Training items per epoch once balanced."""
    counts = data.counts[cfg.data.train_split]
    total = sum(counts[cfg.model.heads[0].name])
    if cfg.data.balance == "none":
        return total
    if cfg.data.balance == "sources":  # every item labelled for some head, whatever its source
        return int((labelled_heads_groups(data.split(cfg.data.train_split), cfg.model.heads) >= 0).sum())
    softmax = [h.name for h in cfg.model.heads if h.type == "softmax"]
    head = cfg.data.balance_head or (softmax[0] if softmax else cfg.model.heads[0].name)
    return balanced_epoch_size(counts[head], total, cfg.data.balance)


def compiles_with_xla(jit_compile: str, dist: Distribution) -> bool:
    """Whether the training step compiles with XLA: always on a TPU; "auto" follows Keras, which uses XLA on a
    GPU but not under a tf.distribute strategy."""
    if dist.kind == "tpu" or jit_compile == "on":
        return True
    if jit_compile == "off":
        return False
    return dist.kind == "none" and bool(tf.config.list_physical_devices("GPU"))


def drops_remainder(cfg: RunConfig, dist: Distribution, items: int, batch_size: int) -> bool:
    """`data.drop_remainder`: on, off, or auto (where XLA compiles the step); never an epoch without a batch."""
    setting = cfg.data.drop_remainder
    if setting == "off":
        return False
    if items < batch_size:
        if setting == "on":
            raise ArtzooError(f"data.drop_remainder on: an epoch has {items} training items, fewer than one global "
                              f"batch of {batch_size}; use a smaller data.batch_size or drop_remainder auto")
        return False
    return setting == "on" or compiles_with_xla(cfg.train.jit_compile, dist)
