"""Backbone registry: one decorator registers a feature extractor with the preprocessing its weights expect.

    @register_backbone(default_size=224, preprocessing="tf", weight_files=("mobilenet_v2_...no_top.h5",))
    def mobilenet_v2(weights, input_shape):
        return keras.applications.MobileNetV2(include_top=False, weights=weights, input_shape=input_shape)

`create_backbone(name, weights=..., input_shape=...)` builds it; `list_backbones()` lists the names.
A backbone maps images (already preprocessed) to its last feature map, shape (H', W', C).
"""

from __future__ import annotations

import fnmatch
import os
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

import keras

from artzoo.errors import ArtzooError, choice_error

PREPROCESSING_MODES = ("tf", "torch", "caffe", "unit", "none")


@dataclass(frozen=True)
class BackboneSpec:
    """What travels with a backbone's weights.

    Attributes:
        name: registry name.
        build: `(weights, input_shape) -> keras.Model` returning the last feature map.
        default_size: input side the weights were trained at.
        preprocessing: how raw 0..255 RGB pixels are scaled (see `ImagePreprocessing`).
        weight_files: Keras cache file names of the ImageNet no-top weights.
        block_pattern: regex whose first group names the block a layer belongs to (for fine-tuning).
        block_end_pattern: regex matching the layer that closes a block (for nets whose layer names carry no
            block id, e.g. InceptionV3's `mixedN` concatenations).
        block_layers: `backbone -> layers` giving the sequence to split into blocks when blocks live inside a
            nested layer (e.g. the transformer blocks of a keras-hub encoder); default `backbone.layers`.
        weights_layer: name of the nested layer a weights file is loaded into (default: the whole backbone).
        min_size: smallest input side the architecture accepts.
        multiple_of: the input side must be a multiple of this (e.g. a ViT's patch size).
        fixed_size: the architecture only accepts `default_size` inputs.
        family: keras.applications family, keras-hub model or "baseline".
    """

    name: str
    build: Callable[[Optional[str], tuple], keras.Model]
    default_size: int
    preprocessing: str
    weight_files: tuple[str, ...] = ()
    block_pattern: Optional[str] = None
    block_end_pattern: Optional[str] = None
    block_layers: Optional[Callable[[keras.Model], list]] = None
    weights_layer: Optional[str] = None
    min_size: int = 32
    multiple_of: int = 1
    fixed_size: bool = False
    family: str = ""

    @property
    def has_imagenet(self) -> bool:
        return bool(self.weight_files)

    def cached_weight_files(self) -> list[Path]:
        """The ImageNet weight files of this backbone already in the local Keras cache."""
        return [p for p in (keras_cache_dir() / f for f in self.weight_files) if p.is_file()]


_REGISTRY: dict[str, BackboneSpec] = {}


def register_backbone(
    name: Optional[str] = None,
    *,
    default_size: int = 224,
    preprocessing: str = "tf",
    weight_files: tuple[str, ...] = (),
    block_pattern: Optional[str] = None,
    block_end_pattern: Optional[str] = None,
    block_layers: Optional[Callable[[keras.Model], list]] = None,
    weights_layer: Optional[str] = None,
    min_size: int = 32,
    multiple_of: int = 1,
    fixed_size: bool = False,
    family: str = "",
):
    """Registers a backbone constructor under `name` (default: the function's name)."""
    if preprocessing not in PREPROCESSING_MODES:
        raise ValueError(f"unknown preprocessing {preprocessing!r}")

    def decorator(fn):
        key = name or fn.__name__
        if key in _REGISTRY:
            warnings.warn(f"backbone {key!r} registered twice; the later one wins", stacklevel=2)
        _REGISTRY[key] = BackboneSpec(
            name=key,
            build=fn,
            default_size=default_size,
            preprocessing=preprocessing,
            weight_files=tuple(weight_files),
            block_pattern=block_pattern,
            block_end_pattern=block_end_pattern,
            block_layers=block_layers,
            weights_layer=weights_layer,
            min_size=min_size,
            multiple_of=multiple_of,
            fixed_size=fixed_size,
            family=family,
        )
        return fn

    return decorator


def _ensure_entries_loaded() -> None:
    # Importing the module runs its @register_backbone decorators.
    from artzoo.models import backbones  # noqa: F401


def list_backbones(pattern: str = "*") -> list[str]:
    _ensure_entries_loaded()
    return sorted(n for n in _REGISTRY if fnmatch.fnmatch(n, pattern))


def get_backbone_spec(name: str) -> BackboneSpec:
    _ensure_entries_loaded()
    if name not in _REGISTRY:
        raise choice_error("backbone", name, sorted(_REGISTRY))
    return _REGISTRY[name]


def keras_cache_dir() -> Path:
    """Keras's own download cache for model weights ($KERAS_HOME/models, else ~/.keras/models)."""
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    return Path(home) / "models"


def create_backbone(
    name: str,
    weights: Optional[str] = "imagenet",
    input_shape: Optional[tuple] = None,
) -> keras.Model:
    """Builds a registered backbone.

    Args:
        name: registry name, e.g. "mobilenet_v2".
        weights: "imagenet" (through Keras's cache, downloading when online), None/"none" (random init),
            or a path to a Keras weights file (`.weights.h5` / `.h5`).
        input_shape: (H, W, 3); defaults to the entry's default size.

    Returns:
        A `keras.Model` mapping preprocessed images to the last feature map.
    """
    spec = get_backbone_spec(name)
    input_shape = tuple(input_shape or (spec.default_size, spec.default_size, 3))
    _check_input_shape(spec, input_shape)
    weights = None if weights in (None, "none", "None", "") else weights
    weights_path = None
    if weights is not None and weights != "imagenet":
        weights_path = Path(weights)
        if not weights_path.is_file():
            raise ArtzooError(f"weights file {weights!r} does not exist; expected imagenet, none or a file path")
        weights = None
    if weights == "imagenet" and not spec.has_imagenet:
        raise ArtzooError(f"backbone {name!r} has no ImageNet weights; use weights none or a file path")
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*input_shape.*")
        try:
            model = spec.build(weights, input_shape)
        except ArtzooError:
            raise
        except Exception as err:  # keras.utils.get_file raises a bare Exception when offline
            if weights == "imagenet" and "URL fetch failure" in str(err):
                raise ArtzooError(
                    f"ImageNet weights for backbone {name!r} are not in the Keras cache "
                    f"({keras_cache_dir() / spec.weight_files[0]}) and could not be downloaded; "
                    "copy the file there or use weights none"
                ) from None
            raise
    if weights_path is not None:
        _load_weights_file(spec, model, weights_path)
    return model


def _load_weights_file(spec: BackboneSpec, model: keras.Model, path: Path) -> None:
    target = model.get_layer(spec.weights_layer) if spec.weights_layer else model
    try:
        target.load_weights(str(path))
    except (ValueError, KeyError, OSError) as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ArtzooError(
            f"weights file {str(path)!r} does not fit backbone {spec.name!r} at this input size: {first}"
        ) from None


def check_input_shape(name: str, input_shape: tuple) -> None:
    """Raises `ArtzooError` when backbone `name` cannot take `input_shape` (too small, not a patch multiple...)."""
    _check_input_shape(get_backbone_spec(name), tuple(input_shape))


def _check_input_shape(spec: BackboneSpec, input_shape: tuple) -> None:
    if len(input_shape) != 3 or input_shape[-1] != 3:
        raise ArtzooError(f"input_shape {input_shape!r} must be (height, width, 3)")
    side = min(input_shape[:2])
    if side < spec.min_size:
        raise ArtzooError(f"image size {side} is too small for backbone {spec.name!r}; minimum {spec.min_size}")
    if any(int(d) % spec.multiple_of for d in input_shape[:2]):
        raise ArtzooError(
            f"image size {input_shape[0]}x{input_shape[1]} does not suit backbone {spec.name!r}; "
            f"each side must be a multiple of {spec.multiple_of}"
        )
    if spec.fixed_size and tuple(input_shape[:2]) != (spec.default_size, spec.default_size):
        raise ArtzooError(
            f"backbone {spec.name!r} accepts only {spec.default_size}x{spec.default_size} inputs, "
            f"got {input_shape[0]}x{input_shape[1]}"
        )


def block_groups(
    backbone: keras.Model,
    block_pattern: Optional[str] = None,
    *,
    end_pattern: Optional[str] = None,
    layer_sequence: Optional[list] = None,
) -> list[list[keras.layers.Layer]]:
    """Splits a backbone's layers, in order, into blocks (for unfreezing the top K blocks).

    With `block_pattern`, a new block starts whenever the block id named by its first group changes; layers
    whose names do not match stay with the block before them. With `end_pattern`, a matching layer closes
    the current block (layers after the last one join the last block). Without either, each layer that has
    weights is a block.

    Args:
        backbone: the feature extractor.
        layer_sequence: the layers to split (default `backbone.layers`), e.g. a nested encoder's blocks.
    """
    groups: list[list] = []
    current_id = object()
    regex = re.compile(block_pattern) if block_pattern else None
    end_regex = re.compile(end_pattern) if end_pattern else None
    closed = True
    for layer in layer_sequence if layer_sequence is not None else backbone.layers:
        if end_regex is not None:
            if closed:
                groups.append([])
            groups[-1].append(layer)
            closed = bool(end_regex.search(layer.name))
            continue
        if regex is not None:
            match = regex.search(layer.name)
            block_id = match.group(1) if match else current_id
        else:
            block_id = layer.name if layer.weights else current_id
        if block_id != current_id or not groups:
            groups.append([])
            current_id = block_id
        groups[-1].append(layer)
    if end_regex is not None and not closed and len(groups) > 1:
        groups[-2].extend(groups.pop())  # layers after the last block's end (a final activation) join it
    return groups


def backbone_blocks(backbone: keras.Model, name: str) -> list[list[keras.layers.Layer]]:
    """The blocks of backbone `name` as its registry entry defines them (see `block_groups`)."""
    spec = get_backbone_spec(name)
    sequence = spec.block_layers(backbone) if spec.block_layers else None
    return block_groups(backbone, spec.block_pattern, end_pattern=spec.block_end_pattern, layer_sequence=sequence)
