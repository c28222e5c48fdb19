"""SavedModel export in TF Serving layout (`<base>/<name>/<version>/`), loadable with TensorFlow alone.

Signatures:
  serving_default(image_bytes: string[batch]) -- decode (JPEG/PNG/GIF/BMP), bound checks, resize exactly as
      in training, the backbone's preprocessing (inside the Keras model), every head.
  serving_images(images: float32[batch, H, W, 3], pixels 0..255, any H, W) -- the same without decoding.
Outputs, per head `h`: `h_probabilities`, `h_top_k_ids`, `h_top_k_labels`, `h_top_k_scores`, and for
multi-label heads `h_decisions` (probability >= the head's threshold). Labels are embedded in the graph.
"""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import keras
import tensorflow as tf

from artzoo import atomic
from artzoo.data.resize import decode_rgb, resize_image
from artzoo.errors import ArtzooError

METADATA_FILE = "artzoo.json"


@dataclass
class HeadSpec:
    """What an exported head needs: its classes, activation type, how many top classes, thresholds."""

    name: str
    classes: list[str]
    type: str = "softmax"
    top_k: int = 3
    thresholds: Optional[list[float]] = None


@dataclass
class ServingSpec:
    heads: list[HeadSpec]
    image_size: int
    resize: str = "squash"
    max_image_bytes: int = 20_000_000
    max_pixels: int = 40_000_000
    extra: dict = field(default_factory=dict)  # free-form metadata written to assets.extra/artzoo.json


def next_version(base: Path) -> int:
    versions = [int(p.name) for p in base.iterdir() if p.is_dir() and p.name.isdigit()] if base.is_dir() else []
    return max(versions, default=0) + 1


def export_saved_model(model: keras.Model, spec: ServingSpec, base_dir: str | os.PathLike, version: Optional[int] = None) -> Path:
    """Writes `base_dir/<version>/` atomically (temporary directory, then rename); never overwrites.

    Returns:
        The version directory.
    """
    base = Path(base_dir)
    version = version or next_version(base)
    target = base / str(version)
    if target.exists():
        raise ArtzooError(f"export version {target} already exists; versions are never overwritten")
    archive = build_archive(model, spec)
    with atomic.new_directory(target) as tmp:
        archive.write_out(str(tmp), verbose=False)
        extra = tmp / "assets.extra"
        extra.mkdir(exist_ok=True)
        atomic.write_json(extra / METADATA_FILE, {
            "heads": [dataclasses.asdict(h) for h in spec.heads],
            "image_size": spec.image_size,
            "resize": spec.resize,
            "signatures": ["serving_default", "serving_images"],
            **spec.extra,
        })
    return target


def build_archive(model: keras.Model, spec: ServingSpec) -> keras.export.ExportArchive:
    archive = keras.export.ExportArchive()
    archive.track(model)
    size = spec.image_size

    def heads_output(images):
        probs = model(images, training=False)
        return head_outputs(probs, spec.heads)

    def from_bytes(image_bytes):
        images = tf.map_fn(
            lambda b: _bounded_decode(b, spec),
            image_bytes,
            fn_output_signature=tf.TensorSpec([size, size, 3], tf.float32),
        )
        return heads_output(images)

    def from_images(images):
        tf.debugging.assert_less_equal(
            tf.cast(tf.shape(images)[1], tf.int64) * tf.cast(tf.shape(images)[2], tf.int64),
            tf.constant(spec.max_pixels, tf.int64),
            message=f"images: height x width exceeds the limit of {spec.max_pixels} pixels",
        )
        resized = tf.map_fn(
            lambda im: resize_image(im, size, spec.resize),
            images,
            fn_output_signature=tf.TensorSpec([size, size, 3], tf.float32),
        )
        return heads_output(resized)

    archive.add_endpoint("serving_default", from_bytes, input_signature=[tf.TensorSpec([None], tf.string, name="image_bytes")])
    archive.add_endpoint(
        "serving_images", from_images, input_signature=[tf.TensorSpec([None, None, None, 3], tf.float32, name="images")]
    )
    return archive


def head_outputs(probs: dict, heads: list[HeadSpec]) -> dict[str, tf.Tensor]:
    out = {}
    for head in heads:
        p = tf.cast(probs[head.name], tf.float32)
        k = min(head.top_k, len(head.classes))
        scores, ids = tf.math.top_k(p, k=k)
        out[f"{head.name}_probabilities"] = p
        out[f"{head.name}_top_k_ids"] = ids
        out[f"{head.name}_top_k_scores"] = scores
        out[f"{head.name}_top_k_labels"] = tf.gather(tf.constant(head.classes), ids)
        if head.type == "sigmoid":
            thresholds = tf.constant(head.thresholds or [0.5] * len(head.classes), tf.float32)
            out[f"{head.name}_decisions"] = p >= thresholds
    return out


def _bounded_decode(image_bytes: tf.Tensor, spec: ServingSpec) -> tf.Tensor:
    """Decodes one image after checking its byte size and, from the header, its pixel count."""
    check_bytes = tf.debugging.assert_less_equal(
        tf.cast(tf.strings.length(image_bytes), tf.int64),
        tf.constant(spec.max_image_bytes, tf.int64),
        message=f"image_bytes: encoded image exceeds the limit of {spec.max_image_bytes} bytes",
    )
    with tf.control_dependencies([check_bytes]):
        pixels = _header_pixels(image_bytes)
    check_pixels = tf.debugging.assert_less_equal(
        pixels, tf.constant(spec.max_pixels, tf.int64),
        message=f"image_bytes: image header declares more than {spec.max_pixels} pixels",
    )
    with tf.control_dependencies([check_pixels]):
        image = decode_rgb(image_bytes)
    return resize_image(image, spec.image_size, spec.resize)


def _header_pixels(image_bytes: tf.Tensor) -> tf.Tensor:
    """Width x height read from a JPEG, PNG or GIF header without decoding pixels (0 for other formats)."""

    def be_u32(offset):
        b = tf.cast(tf.io.decode_raw(tf.strings.substr(image_bytes, offset, 4), tf.uint8), tf.int64)
        return ((b[0] * 256 + b[1]) * 256 + b[2]) * 256 + b[3]

    def le_u16(offset):
        b = tf.cast(tf.io.decode_raw(tf.strings.substr(image_bytes, offset, 2), tf.uint8), tf.int64)
        return b[0] + 256 * b[1]

    def jpeg():
        shape = tf.cast(tf.io.extract_jpeg_shape(image_bytes), tf.int64)
        return shape[0] * shape[1]

    long_enough = tf.strings.length(image_bytes) >= 24
    magic = tf.strings.substr(image_bytes, 0, 4)
    return tf.case(
        [
            (tf.io.is_jpeg(image_bytes), jpeg),
            (tf.logical_and(long_enough, tf.equal(magic, b"\x89PNG")), lambda: be_u32(16) * be_u32(20)),
            (tf.logical_and(long_enough, tf.equal(tf.strings.substr(image_bytes, 0, 3), b"GIF")),
             lambda: le_u16(6) * le_u16(8)),
        ],
        default=lambda: tf.constant(0, tf.int64),
    )


def read_metadata(version_dir: str | os.PathLike) -> dict:
    return json.loads((Path(version_dir) / "assets.extra" / METADATA_FILE).read_text())
