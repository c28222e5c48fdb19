"""What an exported model needs besides its weights: heads and their classes, input size, resize mode, limits.

The same JSON travels inside every export format (SavedModel `assets.extra/artzoo.json`, an `artzoo.json`
entry in the `.keras` zip, TFLite model metadata, ONNX `metadata_props`), so any exported file can be read
back without its run directory.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Optional

from artzoo.errors import ArtzooError

METADATA_NAME = "artzoo"  # TFLite metadata / ONNX metadata_props key
METADATA_FILE = "artzoo.json"  # SavedModel assets.extra/ and .keras zip entry
SCHEMA_VERSION = 1

# Serving bounds: a request decodes at most MAX_BATCH images and, by default, PIXELS_PER_INPUT_PIXEL x the
# model's input pixels per image (a 224-px model: 12.8 Mpx, a 12 Mpx phone photo passes), at least 4 Mpx
# and at most 40 Mpx, and REQUEST_IMAGES x that in all.
MAX_BATCH = 32
PIXELS_PER_INPUT_PIXEL = 256
MIN_IMAGE_PIXELS, MAX_IMAGE_PIXELS = 4_000_000, 40_000_000
REQUEST_IMAGES = 4

# SavedModel signatures and their inputs (also the names TF Serving clients use).
BYTES_SIGNATURE = "serving_default"
IMAGES_SIGNATURE = "serving_images"
BYTES_INPUT = "image_bytes"
IMAGES_INPUT = "images"


@dataclass
class HeadSpec:
    """One exported head: its classes, activation type, how many top classes it returns, thresholds."""

    name: str
    classes: list[str]
    type: str = "softmax"
    top_k: int = 3
    thresholds: Optional[list[float]] = None  # sigmoid heads: per-label decision thresholds (default 0.5)

    @property
    def k(self) -> int:
        return max(1, min(self.top_k, len(self.classes)))

    def decision_thresholds(self) -> list[float]:
        return list(self.thresholds) if self.thresholds is not None else [0.5] * len(self.classes)


def default_max_pixels(image_size: int) -> int:
    """Largest decoded image (width x height) accepted by default for a model of `image_size` pixels."""
    return int(min(MAX_IMAGE_PIXELS, max(MIN_IMAGE_PIXELS, PIXELS_PER_INPUT_PIXEL * image_size ** 2)))


@dataclass
class ServingSpec:
    """Everything an exported model needs to turn image files into named per-head outputs.

    Limits: `max_image_bytes` per encoded image; `max_pixels` per decoded image (None: `default_max_pixels`);
    `max_batch` images and `max_request_pixels` decoded pixels in all per request (None: REQUEST_IMAGES x
    `max_pixels`).
    """

    heads: list[HeadSpec]
    image_size: int
    resize: str = "squash"
    max_image_bytes: int = 20_000_000
    max_pixels: Optional[int] = None
    max_batch: int = MAX_BATCH
    max_request_pixels: Optional[int] = None
    extra: dict = field(default_factory=dict)  # free-form: task, backbone, run_dir, parity results

    def __post_init__(self):
        if self.max_pixels is None:
            self.max_pixels = default_max_pixels(self.image_size)
        if self.max_request_pixels is None:
            self.max_request_pixels = REQUEST_IMAGES * self.max_pixels

    def to_json(self) -> dict:
        data = dataclasses.asdict(self)
        extra = data.pop("extra")
        return {"schema": SCHEMA_VERSION, **data, **extra}

    @classmethod
    def from_json(cls, data: dict, source: str = "metadata") -> "ServingSpec":
        try:
            data = dict(data)
            data.pop("schema", None)
            heads = [HeadSpec(**h) for h in data.pop("heads")]
            known = {f.name for f in dataclasses.fields(cls)} - {"heads", "extra"}
            kwargs = {k: data.pop(k) for k in list(data) if k in known}
            return cls(heads=heads, extra=data, **kwargs)
        except (KeyError, TypeError) as err:
            raise ArtzooError(f"{source} is not artzoo export metadata ({err})") from None

    def output_names(self) -> list[str]:
        """The named outputs every export signature returns, in a fixed order."""
        names = []
        for head in self.heads:
            names += [f"{head.name}_{part}" for part in ("probabilities", "top_k_ids", "top_k_scores", "top_k_labels")]
            if head.type == "sigmoid":
                names.append(f"{head.name}_decisions")
        return names


def validate_spec(spec: ServingSpec) -> None:
    """Rejects specs that would export a model whose outputs cannot be named or checked."""
    names = [h.name for h in spec.heads]
    if not names:
        raise ArtzooError("an export needs at least one head")
    if len(set(names)) != len(names):
        raise ArtzooError(f"head names must be unique, got {names}")
    reserved = sorted(set(names) & {"image", "error"})  # keys of `artzoo predict` entries
    if reserved:
        raise ArtzooError(f"head name {reserved[0]!r} is reserved; rename the head (any name but image, error)")
    for head in spec.heads:
        if head.type not in ("softmax", "sigmoid"):
            raise ArtzooError(f"head {head.name!r} has type {head.type!r}; expected softmax or sigmoid")
        if head.thresholds is not None and len(head.thresholds) != len(head.classes):
            raise ArtzooError(
                f"head {head.name!r} has {len(head.thresholds)} thresholds for {len(head.classes)} classes")
    limits = {k: getattr(spec, k) for k in ("max_image_bytes", "max_pixels", "max_batch", "max_request_pixels")}
    if any(not isinstance(v, int) or v <= 0 for v in limits.values()):
        raise ArtzooError("export limits must be positive integers, got "
                          + ", ".join(f"{k}={v!r}" for k, v in limits.items()))
    check_pixel_limits(spec.image_size, spec.max_pixels, spec.max_request_pixels)


def check_pixel_limits(image_size: int, max_pixels: Optional[int], max_request_pixels: Optional[int]) -> None:
    """A served model must accept at least one image of its own input size."""
    for key, value in (("max_pixels", max_pixels), ("max_request_pixels", max_request_pixels)):
        if value is not None and value < image_size ** 2:
            raise ArtzooError(f"export.{key} {value} is below the model's own input ({image_size}x{image_size} = "
                              f"{image_size ** 2} pixels); raise it or leave it unset (null) for the default")
