"""Checks of a loaded run config that types alone cannot express, before any data is read or model built.

`config.py` already rejects unknown keys, values of the wrong type or outside their allowed set, and non-finite
numbers; this adds ranges (positive sizes with sane upper bounds), what needs the registry and relations
between keys. One function per config section (`check_data`, `check_model`, `check_train`, `check_export`),
plus `check_head_classes` once the data's classes are known. Every error is one line naming the key and value.
"""

from __future__ import annotations

import math
from typing import Optional, Sequence

from artzoo.config import AugmentConfig, DataConfig, ExportConfig, HeadConfig, ModelConfig, RunConfig, TrainConfig
from artzoo.errors import ArtzooError
from artzoo.export.serving_spec import check_pixel_limits
from artzoo.models.registry import check_input_shape, get_backbone_spec

INF = math.inf
MAX_IMAGE_SIZE = 2048  # pixels a side; larger inputs need more memory than any backbone here is sized for
MAX_COUNT = 1_000_000  # epochs, batch sizes, buffers: above this, a typo
SEED_LIMIT = 2 ** 32  # NumPy and TensorFlow seeds are 32-bit


def check_run_config(cfg: RunConfig) -> None:
    """Raises `ArtzooError` for the first problem found in `cfg`."""
    _check_name("task", cfg.task)
    check_model(cfg.model, cfg.data.image_size)
    check_data(cfg.data)
    check_train(cfg.train, cfg.model.heads)
    check_export(cfg.export, cfg.data.image_size)


def check_model(model: ModelConfig, image_size: int) -> None:
    spec = get_backbone_spec(model.backbone)  # unknown backbone: the registry's error
    _check_int("data.image_size", image_size, 1, MAX_IMAGE_SIZE)
    check_input_shape(model.backbone, (image_size, image_size, 3))
    if model.weights == "imagenet" and not spec.has_imagenet:
        raise ArtzooError(f"model.weights 'imagenet': backbone {model.backbone!r} has none; use none or a file path")
    if not model.heads:
        raise ArtzooError("model.heads is empty; a model needs at least one head")
    names = [h.name for h in model.heads]
    duplicate = next((n for n in names if names.count(n) > 1), None)
    if duplicate:
        raise ArtzooError(f"model.heads: head name {duplicate!r} appears twice; head names must be unique")
    for h in model.heads:
        check_head(h)
    if sum(h.loss_weight for h in model.heads) <= 0:
        raise ArtzooError("model.heads: every loss_weight is 0; at least one head must be trained")


def check_head(h: HeadConfig) -> None:
    key = f"model.heads.{h.name}"
    _check_name(f"{key}.name", h.name)
    _check_range(f"{key}.dropout", h.dropout, 0.0, 1.0, high_open=True)
    _check_range(f"{key}.label_smoothing", h.label_smoothing, 0.0, 1.0, high_open=True)
    _check_range(f"{key}.loss_weight", h.loss_weight, 0.0, 1000.0)
    _check_int(f"{key}.top_k", h.top_k, 1, 10_000)
    _check_int(f"{key}.hidden_units", h.hidden_units, 0, 65_536)
    _check_range(f"{key}.focal_gamma", h.focal_gamma, 0.0, 100.0)
    _check_range(f"{key}.focal_alpha", h.focal_alpha, 0.0, 1.0)
    if h.type == "sigmoid" and h.class_weight != "none":
        raise ArtzooError(f"{key}.class_weight {h.class_weight!r}: class weights apply to "
                          "softmax heads only; expected none for a sigmoid head")


def check_data(data: DataConfig) -> None:
    _check_int("data.batch_size", data.batch_size, 1, MAX_COUNT)
    _check_int("data.shuffle_buffer", data.shuffle_buffer, 1, MAX_COUNT)
    _check_range("data.imbalance_warning", data.imbalance_warning, 0.0, 1.0, low_open=True)
    _check_range("data.rare_below", data.rare_below, 0.0, 1.0, low_open=True)
    check_augment("data.augment", data.augment)
    check_augment("data.rare_augment", data.rare_augment)


def check_augment(key: str, a: AugmentConfig) -> None:
    for name in ("rotation", "zoom", "contrast", "brightness", "rand_augment_factor"):
        _check_range(f"{key}.{name}", getattr(a, name), 0.0, 1.0)
    _check_int(f"{key}.rand_augment_ops", a.rand_augment_ops, 1, 20)
    _check_range(f"{key}.mixup_alpha", a.mixup_alpha, 0.0, 100.0, low_open=True)
    _check_range(f"{key}.cutmix_alpha", a.cutmix_alpha, 0.0, 100.0, low_open=True)


def check_train(train: TrainConfig, heads: Sequence[HeadConfig]) -> None:
    _check_int("train.seed", train.seed, 0, SEED_LIMIT - 1)
    for key in ("epochs", "fine_tune_epochs", "fine_tune_blocks", "early_stopping_patience"):
        _check_int(f"train.{key}", getattr(train, key), 0, MAX_COUNT)
    _check_int("train.step_epochs", train.step_epochs, 1, MAX_COUNT)
    _check_int("train.steps_per_execution", train.steps_per_execution, 1, MAX_COUNT)
    if train.epochs + train.fine_tune_epochs <= 0:
        raise ArtzooError("train.epochs and train.fine_tune_epochs are both 0; at least one epoch is needed")
    _check_range("train.learning_rate", train.learning_rate, 0.0, 10.0, low_open=True)
    _check_range("train.fine_tune_learning_rate", train.fine_tune_learning_rate, 0.0, 10.0, low_open=True)
    _check_range("train.decay_rate", train.decay_rate, 0.0, 1.0, low_open=True)
    if train.clipnorm is not None:
        _check_range("train.clipnorm", train.clipnorm, 0.0, INF, low_open=True)
    check_monitor(train.monitor, heads)


def check_export(export: ExportConfig, image_size: int) -> None:
    if export.name:
        _check_name("export.name", export.name)
    if not export.dir.strip():
        raise ArtzooError("config key 'export.dir' is empty; expected a folder (default saved_models)")
    _check_int("export.max_image_bytes", export.max_image_bytes, 1, 2 ** 31 - 1)  # a tf.string's limit
    _check_int("export.max_batch", export.max_batch, 1, 65_536)
    if export.max_pixels is not None:
        _check_int("export.max_pixels", export.max_pixels, 1, 1_000_000_000)
    if export.max_request_pixels is not None:
        _check_int("export.max_request_pixels", export.max_request_pixels, 1, 100_000_000_000)
    check_pixel_limits(image_size, export.max_pixels, export.max_request_pixels)


def monitor_names(heads: Sequence[HeadConfig], num_classes: Optional[dict[str, int]] = None) -> list[str]:
    """The values Keras logs per epoch for these heads, with and without `val_`. A single head's metrics are
    unprefixed (`val_accuracy`), several heads' are prefixed (`val_genre_accuracy`). Top-k accuracy exists
    when the head has more classes than k (assumed when `num_classes` is not known yet)."""
    names = ["loss"]
    for h in heads:
        metrics = ["accuracy", "auc"] if h.type == "sigmoid" else ["accuracy"]
        classes = (num_classes or {}).get(h.name, INF)
        if h.type == "softmax" and classes > h.top_k > 1:
            metrics.append(f"top{h.top_k}")
        prefix = f"{h.name}_" if len(heads) > 1 else ""
        names += [f"{prefix}{m}" for m in metrics] + ([f"{h.name}_loss"] if len(heads) > 1 else [])
    return [p + n for p in ("val_", "") for n in names]


def check_monitor(monitor: str, heads: Sequence[HeadConfig], num_classes: Optional[dict[str, int]] = None) -> None:
    allowed = monitor_names(heads, num_classes)
    if monitor not in allowed:
        raise ArtzooError(f"config key 'train.monitor' is {monitor!r}; expected one of: {', '.join(allowed)}")


def check_head_classes(heads: Sequence[HeadConfig], classes: dict[str, list[str]],
                       counts: dict[str, list[int]], split: str) -> None:
    """Every softmax head needs at least two classes with training items (one class trains to a constant and
    scores 1.0); raises ArtzooError naming the head and its classes."""
    for h in heads:
        if h.type != "softmax":
            continue
        present = [(c, n) for c, n in zip(classes[h.name], counts[h.name]) if n > 0]
        if len(present) < 2:
            shown = ", ".join(f"{c!r} ({n})" for c, n in present) or "none"
            raise ArtzooError(f"head {h.name!r} has {len(present)} class with {split} items ({shown}); a softmax "
                              "head needs at least two classes")


def _check_name(key: str, value: str) -> None:
    """A name that becomes a folder or file name (task, head, export.name): one plain path component."""
    if not value or value in (".", "..") or any(c in value for c in "/\\\0"):
        raise ArtzooError(f"config key {key!r} is {value!r}; expected a plain name (no '/', not '.' or '..')")


def _check_int(key: str, value: int, low: int, high: float) -> None:
    if not low <= value <= high:
        raise ArtzooError(f"config key {key!r} is {value!r}; expected an integer from {low} to {high:.0f}")


def _check_range(key: str, value: float, low: float, high: float, low_open=False, high_open=False) -> None:
    too_low = value <= low if low_open else value < low
    too_high = value >= high if high_open else value > high
    if too_low or too_high or not math.isfinite(value):
        interval = f"{'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
        raise ArtzooError(f"config key {key!r} is {value!r}; expected a value in {interval}")
