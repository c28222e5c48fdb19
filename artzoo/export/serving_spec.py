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


@dataclass
class ServingSpec:
    """Everything an exported model needs to turn image files into named per-head outputs."""

    heads: list[HeadSpec]
    image_size: int
    resize: str = "squash"
    max_image_bytes: int = 20_000_000
    max_pixels: int = 40_000_000
    extra: dict = field(default_factory=dict)  # free-form: task, backbone, run_dir, parity results

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
            raise ArtzooError(f"head {head.name!r} has {len(head.thresholds)} thresholds for {len(head.classes)} classes")
    if spec.max_image_bytes <= 0 or spec.max_pixels <= 0:
        raise ArtzooError(f"export limits must be positive, got max_image_bytes={spec.max_image_bytes}, "
                          f"max_pixels={spec.max_pixels}")
