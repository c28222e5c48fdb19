"""Checks of a loaded run config that types alone cannot express, before any data is read or model built.

`config.py` already rejects unknown keys and values of the wrong type or outside their allowed set; this adds
what needs the registry or relations between keys. Every error is one line naming the key and value.
"""

from __future__ import annotations

from artzoo.config import RunConfig
from artzoo.errors import ArtzooError
from artzoo.models.registry import check_input_shape, get_backbone_spec


def check_run_config(cfg: RunConfig) -> None:
    """Raises `ArtzooError` for the first problem found in `cfg`."""
    model, train, data = cfg.model, cfg.train, cfg.data
    spec = get_backbone_spec(model.backbone)  # unknown backbone: the registry's error
    check_input_shape(model.backbone, (data.image_size, data.image_size, 3))
    if model.weights == "imagenet" and not spec.has_imagenet:
        raise ArtzooError(f"model.weights 'imagenet': backbone {model.backbone!r} has none; use none or a file path")
    if not model.heads:
        raise ArtzooError("model.heads is empty; a model needs at least one head")
    names = [h.name for h in model.heads]
    duplicate = next((n for n in names if names.count(n) > 1), None)
    if duplicate:
        raise ArtzooError(f"model.heads: head name {duplicate!r} appears twice; head names must be unique")
    for h in model.heads:
        _check_range(f"model.heads.{h.name}.dropout", h.dropout, 0.0, 1.0, high_open=True)
        _check_range(f"model.heads.{h.name}.label_smoothing", h.label_smoothing, 0.0, 1.0, high_open=True)
        _check_range(f"model.heads.{h.name}.loss_weight", h.loss_weight, 0.0, float("inf"))
        _check_minimum(f"model.heads.{h.name}.top_k", h.top_k, 1)
        _check_minimum(f"model.heads.{h.name}.hidden_units", h.hidden_units, 0)
        if h.type == "sigmoid" and h.class_weight != "none":
            raise ArtzooError(f"model.heads.{h.name}.class_weight {h.class_weight!r}: class weights apply to "
                              "softmax heads only; expected none for a sigmoid head")
    if sum(h.loss_weight for h in model.heads) <= 0:
        raise ArtzooError("model.heads: every loss_weight is 0; at least one head must be trained")
    for key, value, low in (("train.epochs", train.epochs, 0), ("train.fine_tune_epochs", train.fine_tune_epochs, 0),
                            ("train.fine_tune_blocks", train.fine_tune_blocks, 0), ("train.step_epochs", train.step_epochs, 1),
                            ("data.batch_size", data.batch_size, 1),
                            ("train.steps_per_execution", train.steps_per_execution, 1)):
        _check_minimum(key, value, low)
    if train.epochs + train.fine_tune_epochs <= 0:
        raise ArtzooError("train.epochs and train.fine_tune_epochs are both 0; at least one epoch is needed")
    _check_range("train.learning_rate", train.learning_rate, 0.0, float("inf"), low_open=True)
    _check_range("train.fine_tune_learning_rate", train.fine_tune_learning_rate, 0.0, float("inf"), low_open=True)
    if train.clipnorm is not None:
        _check_range("train.clipnorm", train.clipnorm, 0.0, float("inf"), low_open=True)


def _check_minimum(key: str, value: int, low: int) -> None:
    if value < low:
        raise ArtzooError(f"config key {key!r} is {value!r}; expected an integer >= {low}")


def _check_range(key: str, value: float, low: float, high: float, low_open=False, high_open=False) -> None:
    too_low = value <= low if low_open else value < low
    too_high = value >= high if high_open else value > high
    if too_low or too_high:
        interval = f"{'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
        raise ArtzooError(f"config key {key!r} is {value!r}; expected a value in {interval}")
