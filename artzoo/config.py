"""Typed run configuration: frozen dataclasses loaded from `configs/<task>.yaml`, overridable by `--set k=v`.

Every key is checked: an unknown key, a value of the wrong type or outside its allowed set raises an
`ArtzooError` naming the key, the value and what was expected.
"""

from __future__ import annotations

import dataclasses
import math
import os
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Optional

import yaml

from artzoo.errors import ArtzooError, choice_error


@dataclass(frozen=True)
class AugmentConfig:
    """Augmentation applied to training batches only (Keras core preprocessing layers)."""

    flip: bool = True
    rotation: float = 0.05  # fraction of a full turn
    zoom: float = 0.1
    contrast: float = 0.1
    brightness: float = 0.0
    rand_augment: bool = False  # keras.layers.RandAugment after the layers above
    rand_augment_ops: int = 2
    rand_augment_factor: float = 0.5  # strength of each op, 0..1
    grid_mask: float = 0.0  # keras-cv GridMask: largest mask-to-cell ratio, 0..1 (0 = off)
    mix: Literal["none", "mixup", "cutmix"] = "none"  # mixes images and targets of every head within a batch
    mixup_alpha: float = 0.2  # Beta(alpha, alpha) of MixUp's mixing weight
    cutmix_alpha: float = 1.0  # Beta(alpha, alpha) of CutMix's kept area


def _rare_class_augment() -> AugmentConfig:
    """The stronger default augmenter for items of rare classes: twice the rotation and zoom, more contrast, and
    brightness. RandAugment is left off: at factor 0.5 its shears and translations wreck small images (on 32 px
    CIFAR its MobileNetV2 embeddings kept a cosine similarity of only 0.44-0.73 to the clean image's)."""
    return AugmentConfig(rotation=0.1, zoom=0.2, contrast=0.2, brightness=0.2)


@dataclass(frozen=True)
class DataConfig:
    dataset: str = "louvre_genre"
    builder_config: Optional[str] = None
    manual_dir: Optional[str] = None
    data_dir: Optional[str] = None  # a plain folder of class (or split/class) subfolders instead of TFDS
    tfds_dir: Optional[str] = None
    label_columns: tuple[str, ...] = ()  # art_folder from a CSV: the columns that become labels (empty: all)
    image_size: int = 224
    batch_size: int = 32
    resize: Literal["squash", "crop", "pad", "trim"] = "squash"  # trim: cut black padding bars, then squash
    # JPEG decoding (artzoo.data.resize.decode_for_size): "scaled" decodes a large JPEG at 1/2, 1/4 or 1/8 scale
    # straight from its DCT when that still covers image_size (bench/decode_quality.py); "full" decodes it whole.
    # Default full: training decodes each image once (then the cache), and exports always decode in full (their
    # serving_images signature must match serving_default on client-decoded pixels), so full keeps serving exact.
    decode: Literal["scaled", "full"] = "full"
    cache: bool = True
    shuffle_buffer: int = 2048
    # Drop a last partial training batch: auto = where the training step compiles with XLA (jit_compile on, auto
    # on one GPU) and on a TPU, so every step has one static shape and XLA compiles once.
    drop_remainder: Literal["auto", "on", "off"] = "auto"
    # Class balance of the training stream by one softmax head (balance_head, default the first):
    # undersample = every class cut to the smallest class's count once (seeded); resample = every epoch
    # draws each item a random number of times so that classes come out uniform in expectation;
    # sample = tf.data's sample_from_datasets over one endless stream per class, equal weights;
    # sources = the same over one stream per set of labelled heads (e.g. per collection of a union dataset
    # whose items each label another head), every labelled item once per epoch in expectation.
    # Per-head class weights are HeadConfig.class_weight.
    balance: Literal["none", "undersample", "resample", "sample", "sources"] = "none"
    balance_head: Optional[str] = None
    # Imbalance report (data.json, train start, `artzoo datasets info`): warn when a softmax head's largest
    # class holds more than this share of a split's labelled items.
    imbalance_warning: float = 0.5
    # A class is rare when its training items are fewer than rare_below x the largest class's (heads with
    # rare_augment or cascade, unless the head lists rare_classes itself).
    rare_below: float = 0.5
    rare_augment: AugmentConfig = field(default_factory=_rare_class_augment)  # replaces `augment` on rare items
    train_split: str = "train"
    val_split: str = "val"
    test_split: Optional[str] = "test"
    augment: AugmentConfig = field(default_factory=AugmentConfig)


@dataclass(frozen=True)
class HeadConfig:
    """One named output: which label feature it predicts and how."""

    name: str = "label"
    label: str = "label"  # dataset feature holding this head's label
    type: Literal["softmax", "sigmoid"] = "softmax"
    hidden_units: int = 0
    dropout: float = 0.2
    loss_weight: float = 1.0
    class_weight: Literal["none", "balanced", "effective"] = "none"
    label_smoothing: float = 0.0
    top_k: int = 3
    # Imbalance remedies of this head (class_weight above; data.balance for sampling):
    loss: Literal["crossentropy", "focal"] = "crossentropy"  # focal: Keras's (Binary)CategoricalFocalCrossentropy
    focal_gamma: float = 2.0
    focal_alpha: float = 0.25
    rare_augment: bool = False  # items of this head's rare classes get data.rare_augment instead of data.augment
    # Two-step cascade (softmax heads): stage 1 tells the dominant classes from a pooled "other", stage 2
    # (trained on rare items only) resolves "other"; the head still outputs one vector over all classes.
    # soft: P(rare c) = P(other) * P(c | other); hard: when "other" wins stage 1, stage 2 alone decides.
    cascade: Literal["none", "soft", "hard"] = "none"
    rare_classes: tuple[str, ...] = ()  # empty: the classes below data.rare_below (filled in at train start)


@dataclass(frozen=True)
class ModelConfig:
    """`mode`: "shared" trains one backbone with all heads; "specialists" trains one single-head model per
    head (same backbone settings) and composes them into one inference model with the same outputs."""

    mode: Literal["shared", "specialists"] = "shared"
    backbone: str = "mobilenet_v2"
    weights: str = "imagenet"  # imagenet | none | path to a weights file
    pooling: Literal["avg", "max", "attention"] = "avg"
    se: bool = False
    attention: bool = False
    # Backbone layers whose Gram matrices (texture statistics, artzoo.models.gram_pooling) join the pooled
    # features as head inputs, e.g. MobileNetV2's [block_2_add, block_5_add, block_9_add, block_12_add].
    texture_layers: tuple[str, ...] = ()
    heads: tuple[HeadConfig, ...] = ()


@dataclass(frozen=True)
class TrainConfig:
    seed: int = 42
    epochs: int = 6  # phase 1: frozen backbone, head only
    learning_rate: float = 1e-3
    fine_tune_epochs: int = 6  # phase 2: top blocks unfrozen, BatchNorm kept frozen
    fine_tune_blocks: int = 4
    fine_tune_learning_rate: float = 1e-4
    schedule: Literal["constant", "step", "exponential", "cosine"] = "constant"
    step_epochs: int = 10
    decay_rate: float = 0.1
    early_stopping_patience: int = 0  # 0 disables
    monitor: str = "val_loss"
    # clips the global norm of the gradient summed over replicas (one limit, not per weight)
    clipnorm: Optional[float] = None
    mixed_precision: Literal["auto", "off", "float16", "bfloat16"] = "auto"
    jit_compile: Literal["auto", "on", "off"] = "auto"
    steps_per_execution: int = 1  # training steps per compiled call (Keras): fewer host round trips on a GPU/TPU
    # auto: when the frozen phase sees the same backbone input every epoch (no augmentation, no resampling, no
    # trainable layer before pooling), embed the images once and train the heads on the vectors
    # (artzoo.train.cached_heads); off: always run phase 1 through the backbone.
    cached_heads: Literal["auto", "off"] = "auto"
    deterministic: bool = False  # op determinism on top of the seeds: bit-identical reruns, slower input pipeline
    # tf.distribute: auto = multiworker when TF_CONFIG is set, else mirrored when the machine has more
    # than one GPU, else one device (none).
    strategy: Literal["auto", "none", "mirrored", "multiworker", "tpu"] = "auto"
    # data.batch_size is per replica; the global batch is batch_size x replicas. The learning rates are
    # multiplied by 1 (none), the replica count (linear) or its square root (sqrt).
    scale_lr: Literal["none", "linear", "sqrt"] = "none"


@dataclass(frozen=True)
class ExportConfig:
    """SavedModel export; the limits are serving bounds checked in the graph (see README "Serving")."""

    enabled: bool = True
    dir: str = "saved_models"
    name: str = ""  # defaults to the task name; a plain folder name inside `dir`
    max_image_bytes: int = 20_000_000  # per encoded image
    max_pixels: Optional[int] = None  # per decoded image; null: 256 x image_size^2, within 4-40 Mpx
    max_batch: int = 32  # images per request (a batch of 64 at 224 px cost ~1 GB, bench/serving_memory.py)
    max_request_pixels: Optional[int] = None  # decoded pixels per request; null: 4 x max_pixels
    # Test-time augmentation inside every exported signature (artzoo.models.tta): each request is scored on
    # the image and its mirror ("flip", 2x compute) or on 12 views ("crops"), probabilities averaged.
    tta: Literal["none", "flip", "crops"] = "none"


@dataclass(frozen=True)
class BowConfig:
    """Bag of visual words + SVM baseline (`artzoo baseline bow`); absent from deep runs."""

    detector: Literal["sift", "orb", "kaze"] = "sift"
    vocab: int = 100  # visual words (K-means clusters)
    tfidf: bool = False  # tf-idf weighting of the word counts (always L2-normalised)
    max_side: int = 512  # images are shrunk so their longer side is at most this (0: never)
    max_keypoints: int = 500  # per image, strongest first (sift, orb)
    vocab_sample: int = 100_000  # training descriptors the vocabulary is fitted on
    cv_folds: int = 5
    scoring: str = "f1_macro"  # GridSearchCV's refit criterion (a scikit-learn scorer name)
    jobs: int = 2  # threads for feature extraction and for the grid search


@dataclass(frozen=True)
class RunConfig:
    task: str = "genre"
    run_dir: Optional[str] = None
    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    export: ExportConfig = field(default_factory=ExportConfig)
    bow: Optional[BowConfig] = None  # set only by `artzoo baseline bow`

    @property
    def export_name(self) -> str:
        return self.export.name or self.task


def configs_dir() -> Path:
    """Where task YAML files live: $ARTZOO_CONFIG_DIR; else the copy installed inside the package
    (`artzoo/configs/`, from a wheel); else the checkout's top-level `configs/` (source tree, editable install)."""
    env = os.environ.get("ARTZOO_CONFIG_DIR")
    if env:
        return Path(env)
    packaged = Path(__file__).resolve().parent / "configs"
    return packaged if packaged.is_dir() else Path(__file__).resolve().parent.parent / "configs"


def list_tasks() -> list[str]:
    return sorted(p.stem for p in configs_dir().glob("*.yaml"))


def load_task_config(task: str, overrides: Optional[dict[str, Any]] = None) -> RunConfig:
    """Loads `configs/<task>.yaml` and applies dotted-key overrides (`{"train.epochs": 3}`)."""
    tasks = list_tasks()
    if task not in tasks:
        raise choice_error("task", task, tasks)
    return load_config_file(configs_dir() / f"{task}.yaml", overrides)


def load_config_file(path: str | os.PathLike, overrides: Optional[dict[str, Any]] = None) -> RunConfig:
    path = Path(path)
    if not path.is_file():
        raise ArtzooError(f"config file {str(path)!r} does not exist")
    try:
        raw = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as err:
        first = str(err).splitlines()[0]
        raise ArtzooError(f"config file {str(path)!r} is not valid YAML: {first}") from None
    if not isinstance(raw, dict):
        raise ArtzooError(f"config file {str(path)!r} must hold a mapping at the top level")
    raw.setdefault("task", path.stem)
    for key, value in (overrides or {}).items():
        set_dotted(raw, key, value)
    return from_dict(RunConfig, raw)


def parse_overrides(items: list[str]) -> dict[str, Any]:
    """Parses `key=value` strings; values are YAML scalars (`3`, `1e-4`, `true`, `null`, `[a, b]`)."""
    out: dict[str, Any] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ArtzooError(f"--set expects key=value, got {item!r}")
        try:
            out[key.strip()] = yaml.safe_load(value) if value.strip() else None
        except yaml.YAMLError:
            out[key.strip()] = value
    return out


def set_dotted(raw: dict, dotted: str, value: Any) -> None:
    """Sets `a.b.c` in nested dicts; list items are addressed by index or by their `name`."""
    parts = dotted.split(".")
    node: Any = raw
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if isinstance(node, list):
            node_item = _list_item(node, part, ".".join(parts[: i + 1]))
            if last:
                node[node.index(node_item)] = value
                return
            node = node_item
            continue
        if not isinstance(node, dict):
            raise ArtzooError(f"config key {dotted!r}: {'.'.join(parts[:i])!r} is not a section")
        if last:
            node[part] = value
            return
        if node.get(part) is None:
            node[part] = _default_section(parts[: i + 1])
        node = node[part]


def _default_section(parts: list[str]) -> Any:
    """The default value of a section, as plain data, so an override can start a section the YAML lacks."""
    cls: Any = RunConfig
    value: Any = None
    for part in parts:
        hints = typing.get_type_hints(cls)
        if part not in hints:
            allowed = [f.name for f in dataclasses.fields(cls)]
            raise choice_error("config key", ".".join(parts), allowed)
        fld = next(f for f in dataclasses.fields(cls) if f.name == part)
        value = fld.default_factory() if fld.default_factory is not dataclasses.MISSING else fld.default
        cls = hints[part]
    return _as_plain(value)


def _as_plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value):
        return {f.name: _as_plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (list, tuple)):
        return [_as_plain(v) for v in value]
    return value


def _list_item(items: list, part: str, where: str) -> Any:
    if part.isdigit() and int(part) < len(items):
        return items[int(part)]
    for item in items:
        if isinstance(item, dict) and item.get("name") == part:
            return item
    names = [str(i) for i in range(len(items))] + [
        str(it["name"]) for it in items if isinstance(it, dict) and "name" in it
    ]
    raise choice_error("config list item", where, names)


def from_dict(cls: type, data: Any, where: str = "") -> Any:
    """Builds dataclass `cls` from plain data, rejecting unknown keys and values of the wrong type."""
    if not isinstance(data, dict):
        raise ArtzooError(f"config section {where or 'top level'!r} must be a mapping, got {data!r}")
    hints = typing.get_type_hints(cls)
    allowed = [f.name for f in dataclasses.fields(cls)]
    kwargs = {}
    for key, value in data.items():
        path = f"{where}.{key}" if where else str(key)
        if key not in hints:
            raise choice_error("config key", path, allowed)
        kwargs[key] = _convert(hints[key], value, path)
    return cls(**kwargs)


def _convert(hint: Any, value: Any, path: str) -> Any:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        return _convert(inner[0], value, path)
    if origin is Literal:
        if value not in args:
            raise choice_error(f"value for {path}:", value, args)
        return value
    if dataclasses.is_dataclass(hint):
        return from_dict(hint, value if value is not None else {}, path)
    if origin is tuple:
        if not isinstance(value, (list, tuple)):
            raise ArtzooError(f"config key {path!r} must be a list, got {value!r}")
        return tuple(_convert(args[0], v, f"{path}.{i}") for i, v in enumerate(value))
    return _scalar(hint, value, path)


def _scalar(hint: type, value: Any, path: str) -> Any:
    if hint is bool:
        if isinstance(value, bool):
            return value
    elif hint is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
    elif hint is float:
        number = None
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            number = float(value)
        elif isinstance(value, str):
            try:
                number = float(value)  # YAML 1.1 reads "1e-4" as a string
            except ValueError:
                pass
        if number is not None and math.isfinite(number):
            return number
        if number is not None:
            raise ArtzooError(f"config key {path!r} is {value!r}; expected a finite number")
    elif hint is str:
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            return str(value)
    else:
        return value
    raise ArtzooError(f"config key {path!r} expects {hint.__name__}, got {value!r}")


def to_dict(cfg: Any) -> dict:
    """Plain-data form of a config (lists instead of tuples) for YAML/JSON."""
    return _as_plain(cfg)


def save_config(cfg: RunConfig, path: str | os.PathLike) -> None:
    from artzoo import atomic

    atomic.write_text(path, yaml.safe_dump(to_dict(cfg), sort_keys=False))  # a resumed run re-reads it
