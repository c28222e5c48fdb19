r"""Backbone registry: architecture entries apart from their pretrained-weight tags (timm's `_registry.py` /
`_pretrained.py` split).

    @register_backbone(family="MobileNetV2", block_pattern=r"^block_(\d+)_",
                       pretrained=[imagenet("mobilenet_v2_..._no_top.h5", preprocessing="tf")])
    def mobilenet_v2(weights, input_shape):
        return keras.applications.MobileNetV2(include_top=False, weights=weights, input_shape=input_shape)

An architecture entry (`Architecture`) holds how to build the net and split it into blocks; its tags
(`artzoo.models.pretrained.PretrainedWeights`, e.g. `mobilenet_v2.imagenet`) hold the weights file, preprocessing
and native size. `create_backbone(name, weights=..., input_shape=...)` builds one; `list_backbones()` lists the
architectures and `list_pretrained()` the tags. A backbone maps images (already preprocessed) to its last feature
map, shape (H', W', C). The entries are registered by `artzoo.models` (its `__init__` imports the modules that
define them), so any `artzoo.models.*` import sees them all.
"""

from __future__ import annotations

import fnmatch
import warnings
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Optional, Sequence

import keras

from artzoo.errors import ArtzooError, choice_error
from artzoo.models.pretrained import PretrainedWeights, check_preprocessing, keras_cache_dir

__all__ = ["Architecture", "register_backbone", "list_backbones", "list_pretrained", "get_backbone_spec",
           "get_pretrained", "create_backbone", "check_input_shape", "keras_cache_dir"]


@dataclass(frozen=True)
class Architecture:
    """A registered backbone architecture.

    Attributes:
        name: registry name.
        build: `(weights, input_shape) -> keras.Model` returning the last feature map; `weights` is None or the
            tag to load (keras.applications resolve "imagenet" through Keras's cache themselves).
        default_size: input side when none is given (its default tag's size).
        preprocessing: how raw 0..255 RGB pixels are scaled (its default tag's; also used with random init).
        family: keras.applications family, keras-hub model or "baseline".
        block_pattern: regex whose first group names the block a layer belongs to (for fine-tuning).
        block_end_pattern: regex matching the layer that closes a block (for nets whose layer names carry no
            block id, e.g. InceptionV3's `mixedN` concatenations).
        block_layers: `backbone -> layers` giving the sequence to split into blocks when blocks live inside a
            nested layer (e.g. the transformer blocks of a keras-hub encoder); default `backbone.layers`.
        weights_layer: name of the nested layer a weights file is loaded into (default: the whole backbone).
        min_size: smallest input side the architecture accepts.
        multiple_of: the input side must be a multiple of this (e.g. a ViT's patch size).
        fixed_size: the architecture only accepts `default_size` inputs.
    """

    name: str
    build: Callable[[Optional[str], tuple], keras.Model]
    default_size: int
    preprocessing: str
    family: str = ""
    block_pattern: Optional[str] = None
    block_end_pattern: Optional[str] = None
    block_layers: Optional[Callable[[keras.Model], list]] = None
    weights_layer: Optional[str] = None
    min_size: int = 32
    multiple_of: int = 1
    fixed_size: bool = False

    def __post_init__(self):
        check_preprocessing(self.preprocessing)

    @property
    def pretrained(self) -> tuple[PretrainedWeights, ...]:
        """Its pretrained-weight tags, the default first."""
        return _TAGS.get(self.name, ())

    def tag(self, tag: str) -> Optional[PretrainedWeights]:
        return next((t for t in self.pretrained if t.tag == tag), None)

    @property
    def has_imagenet(self) -> bool:
        return self.tag("imagenet") is not None

    @property
    def weight_files(self) -> tuple[str, ...]:
        return tuple(t.file for t in self.pretrained)

    def cached_weight_files(self) -> list[Path]:
        """The files of its pretrained tags already in the local Keras cache."""
        return [path for path in (t.cached_file() for t in self.pretrained) if path is not None]


_ARCHITECTURES: dict[str, Architecture] = {}
_TAGS: dict[str, tuple[PretrainedWeights, ...]] = {}


def register_backbone(name: Optional[str] = None, *, pretrained: Sequence[PretrainedWeights] = (), **fields):
    """Registers a backbone constructor under `name` (default: the function's name) with its pretrained tags.

    `fields` are `Architecture` fields; `default_size` and `preprocessing` default to the first tag's size and
    preprocessing (an architecture without tags must give `preprocessing`; its size defaults to 224).
    """
    tags = tuple(pretrained)
    if tags:
        fields.setdefault("default_size", tags[0].size)
        fields.setdefault("preprocessing", tags[0].preprocessing)
    fields.setdefault("default_size", 224)
    if "preprocessing" not in fields:
        raise ValueError("a backbone without pretrained tags needs preprocessing=")

    def decorator(fn):
        key = name or fn.__name__
        if key in _ARCHITECTURES:
            warnings.warn(f"backbone {key!r} registered twice; the later one wins", stacklevel=2)
        _ARCHITECTURES[key] = Architecture(name=key, build=fn, **fields)
        _TAGS[key] = tuple(replace(t, architecture=key) for t in tags)
        return fn

    return decorator


def list_backbones(pattern: str = "*") -> list[str]:
    """The registered architectures whose name matches the shell pattern, sorted."""
    return sorted(n for n in _ARCHITECTURES if fnmatch.fnmatch(n, pattern))


def list_pretrained(pattern: str = "*") -> list[str]:
    """The pretrained tags, `<architecture>.<tag>`, whose name or architecture matches the pattern, sorted."""
    return sorted(t.name for arch, tags in _TAGS.items() for t in tags
                  if fnmatch.fnmatch(t.name, pattern) or fnmatch.fnmatch(arch, pattern))


def get_backbone_spec(name: str) -> Architecture:
    """The architecture entry `name` (`ArtzooError` naming the choices when there is none)."""
    if name not in _ARCHITECTURES:
        raise choice_error("backbone", name, sorted(_ARCHITECTURES))
    return _ARCHITECTURES[name]


def get_pretrained(name: str) -> PretrainedWeights:
    """The tag `<architecture>.<tag>`, or an architecture's default tag when given its bare name."""
    arch_name, _, tag = name.partition(".")
    arch = get_backbone_spec(arch_name)
    if not arch.pretrained:
        raise ArtzooError(f"backbone {arch_name!r} has no pretrained weights; use weights none or a file path")
    found = arch.tag(tag) if tag else arch.pretrained[0]
    if found is None:
        raise choice_error(f"pretrained weights of {arch_name!r}", tag, [t.tag for t in arch.pretrained])
    return found


def create_backbone(
    name: str,
    weights: Optional[str] = "imagenet",
    input_shape: Optional[tuple] = None,
) -> keras.Model:
    """Builds a registered backbone.

    Args:
        name: registry name, e.g. "mobilenet_v2".
        weights: a pretrained tag of the architecture, e.g. "imagenet" (through Keras's cache, downloading when
            online), None/"none" (random init), or a path to a Keras weights file (`.weights.h5` / `.h5`).
        input_shape: (H, W, 3); defaults to the entry's default size.

    Returns:
        A `keras.Model` mapping preprocessed images to the last feature map.
    """
    spec = get_backbone_spec(name)
    input_shape = tuple(input_shape or (spec.default_size, spec.default_size, 3))
    _check_input_shape(spec, input_shape)
    weights = None if weights in (None, "none", "None", "") else weights
    tag = spec.tag(weights) if weights is not None else None
    weights_path = None
    if weights == "imagenet" and tag is None:
        raise ArtzooError(f"backbone {name!r} has no ImageNet weights; use weights none or a file path")
    if weights is not None and tag is None:
        weights_path = Path(weights)
        if not weights_path.is_file():
            tags = ", ".join(t.tag for t in spec.pretrained)
            raise ArtzooError(f"weights file {weights!r} does not exist; expected {tags + ', ' if tags else ''}"
                              "none or a file path")
        weights = None
    model = _build(spec, weights, input_shape, tag)
    if weights_path is not None:
        _load_weights_file(spec, model, weights_path)
    return model


def _build(spec: Architecture, weights: Optional[str], input_shape: tuple, tag: Optional[PretrainedWeights]):
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*input_shape.*")
        try:
            return spec.build(weights, input_shape)
        except ArtzooError:
            raise
        except Exception as err:  # keras.utils.get_file raises a bare Exception when offline
            if tag is not None and "URL fetch failure" in str(err):
                raise ArtzooError(
                    f"ImageNet weights for backbone {spec.name!r} are not in the Keras cache "
                    f"({keras_cache_dir() / tag.file}) and could not be downloaded; "
                    "copy the file there or use weights none"
                ) from None
            raise


def _load_weights_file(spec: Architecture, model: keras.Model, path: Path) -> None:
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


def _check_input_shape(spec: Architecture, input_shape: tuple) -> None:
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
