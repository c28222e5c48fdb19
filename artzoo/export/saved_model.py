"""SavedModel export in TF Serving layout (`<base>/<version>/`), loadable with TensorFlow alone.

Signatures:
  serving_default(image_bytes: string[batch]) -- bounds checks, decode (JPEG/PNG/BMP/WebP), resize exactly
      as in training, the backbone's preprocessing (inside the Keras model), every head.
  serving_images(images: float32[batch, H, W, 3], pixels 0..255, any H, W) -- the same without decoding.
Outputs, per head `h`: `h_probabilities`, `h_top_k_ids`, `h_top_k_labels`, `h_top_k_scores`, and for
multi-label heads `h_decisions` (probability >= the head's threshold). Labels are embedded in the graph.
`assets.extra/` holds `artzoo.json` (the serving spec) and `tf_serving_warmup_requests`.

Bounds in the graph (InvalidArgument, HTTP 400 in TF Serving, before any decoding): images per request
(`max_batch`), encoded bytes and decoded pixels per image, decoded pixels per request, finite float pixels.
An empty batch gets empty outputs.

Versions are claimed atomically: the export is written to a hidden temporary folder and published by a
rename that fails if the version exists (`atomic.rename_no_replace`); without an explicit version, the next
number is tried, so two exporters racing for one folder get two versions and neither overwrites the other.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Optional

import keras
import numpy as np
import tensorflow as tf

from artzoo import atomic
from artzoo.errors import ArtzooError
from artzoo.export.bounded_decode import model_pixels, pixel_checks, request_checks
from artzoo.data.resize import decode_rgb
from artzoo.export.head_outputs import head_outputs
from artzoo.export.serving_spec import (  # noqa: F401  (HeadSpec: public, used by callers)
    BYTES_INPUT, BYTES_SIGNATURE, IMAGES_INPUT, IMAGES_SIGNATURE, METADATA_FILE, HeadSpec, ServingSpec, validate_spec,
)
from artzoo.export.parity import check_parity, keras_probabilities, parity_inputs
from artzoo.export import warmup


VERSION_TRIES = 1000


def next_version(base: Path) -> int:
    versions = [int(p.name) for p in base.iterdir() if p.is_dir() and p.name.isdigit()] if base.is_dir() else []
    return max(versions, default=0) + 1


def export_saved_model(
    model: keras.Model, spec: ServingSpec, base_dir: str | os.PathLike, version: Optional[int] = None,
    check: bool = True,
) -> Path:
    """Writes `base_dir/<version>/` atomically (temporary directory, then rename); never overwrites.

    Args:
        model: Keras model taking (batch, S, S, 3) pixels in 0..255 and returning `{head: probabilities}`.
        spec: heads, input size and limits.
        base_dir: TF Serving model directory; versions are its numeric subfolders.
        version: explicit version number (>= 1; an error if it exists); default the next free one, claimed
            atomically (a version published meanwhile by another exporter moves this one to the next number).
        check: load the export back before publishing it and compare it with the Keras model (see
            `check_saved_model`); the result is stored under `parity` in `assets.extra/artzoo.json`.

    Returns:
        The version directory.
    """
    validate_spec(spec)
    base = export_base(base_dir)
    if version is not None and version < 1:
        raise ArtzooError(f"export version must be a positive integer, got {version}")
    if version is not None and (base / str(version)).exists():
        raise ArtzooError(f"export version {base / str(version)} already exists; versions are never overwritten")
    archive = build_archive(model, spec)
    with atomic.staged_directory(base, "export") as tmp:
        archive.write_out(str(tmp), verbose=False)
        extra = tmp / "assets.extra"
        extra.mkdir(exist_ok=True)
        if warmup.available():  # the `serving` extra
            warmup.write_warmup_requests(extra, spec, model_name=base.resolve().name)
        metadata = {**spec.to_json(), "signatures": [BYTES_SIGNATURE, IMAGES_SIGNATURE]}
        if check:
            metadata["parity"] = check_saved_model(model, spec, tmp)
        atomic.write_json(extra / METADATA_FILE, metadata)
        return publish_version(tmp, base, version)


def export_base(base_dir: str | os.PathLike) -> Path:
    """The TF Serving model folder, refused when it is a file or the file system's root (TF Serving names the
    model after the folder)."""
    base = Path(base_dir)
    if base.exists() and not base.is_dir():
        raise ArtzooError(f"export folder {str(base)!r} is a file; versions go into a folder (choose another --out)")
    if not base.resolve().name:
        raise ArtzooError(f"export folder {str(base)!r} is the root of the file system; give a folder named after "
                          "the model (e.g. saved_models/genre)")
    return base


def publish_version(tmp: Path, base: Path, version: Optional[int] = None) -> Path:
    """Renames the finished export `tmp` to `base/<version>` without replacing anything; returns it."""
    number = version or next_version(base)
    for _ in range(VERSION_TRIES):
        target = base / str(number)
        try:
            atomic.rename_no_replace(tmp, target)
            return target
        except FileExistsError:
            if version is not None:
                raise ArtzooError(f"export version {target} already exists; versions are never overwritten") from None
            number = max(number + 1, next_version(base))
    raise ArtzooError(f"could not claim a free version under {str(base)!r} in {VERSION_TRIES} tries")


def version_digest(version_dir: str | os.PathLike) -> str:
    """SHA-256 over every file of an export (relative path and content): equal digests, identical exports."""
    root = Path(version_dir)
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(root)).encode() + b"\0")
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
        digest.update(b"\0")
    return digest.hexdigest()


def find_export(base_dir: str | os.PathLike, token: str) -> Optional[Path]:
    """The version under `base_dir` whose metadata carries `export_token` `token` (see `train.runner`)."""
    base = Path(base_dir)
    if not base.is_dir():
        return None
    for version in sorted((p for p in base.iterdir() if p.name.isdigit()), key=lambda p: int(p.name)):
        try:
            if read_metadata(version).get("export_token") == token:
                return version
        except (ArtzooError, OSError, ValueError):
            continue
    return None


def build_archive(model: keras.Model, spec: ServingSpec) -> keras.export.ExportArchive:
    archive = keras.export.ExportArchive()
    archive.track(model)
    size = spec.image_size
    pixels_spec = tf.TensorSpec([size, size, 3], tf.float32)

    def outputs(images):  # no model call on an empty batch (oneDNN's conv2d fails on it): empty outputs
        empty = {h.name: tf.zeros([0, len(h.classes)], tf.float32) for h in spec.heads}
        return tf.cond(tf.shape(images)[0] > 0, lambda: head_outputs(model(images, training=False), spec.heads),
                       lambda: head_outputs(empty, spec.heads))

    def from_bytes(image_bytes):
        checks = request_checks(image_bytes, spec.max_batch, spec.max_image_bytes, spec.max_pixels,
                                spec.max_request_pixels)
        with tf.control_dependencies(checks):
            images = tf.map_fn(lambda item: model_pixels(decode_rgb(item), size, spec.resize), image_bytes,
                               fn_output_signature=pixels_spec)
        return outputs(images)

    def from_images(images):
        with tf.control_dependencies(pixel_checks(images, spec.max_batch, spec.max_pixels, spec.max_request_pixels)):
            resized = tf.map_fn(lambda im: model_pixels(im, size, spec.resize), images,
                                fn_output_signature=pixels_spec)
        return outputs(resized)

    archive.add_endpoint(BYTES_SIGNATURE, from_bytes,
                         input_signature=[tf.TensorSpec([None], tf.string, name=BYTES_INPUT)])
    archive.add_endpoint(IMAGES_SIGNATURE, from_images,
                         input_signature=[tf.TensorSpec([None, None, None, 3], tf.float32, name=IMAGES_INPUT)])
    return archive


def check_saved_model(model: keras.Model, spec: ServingSpec, version_dir: Path) -> dict:
    """Loads the written SavedModel back and checks both signatures against Keras, and replays the warmup.

    `serving_images` gets the parity images; `serving_default` gets the same images PNG-encoded (lossless),
    so both must match the Keras model on identical pixels.
    """
    loaded = tf.saved_model.load(str(version_dir))
    images = parity_inputs(spec.image_size)
    reference = keras_probabilities(model, images)
    heads = [h.name for h in spec.heads]
    per_request = max(1, min(spec.max_batch, spec.max_request_pixels // spec.image_size ** 2))

    def batched(signature: str, name: str, values) -> dict[str, np.ndarray]:  # within the serving bounds
        outs = [loaded.signatures[signature](**{name: tf.constant(values[i:i + per_request])})
                for i in range(0, len(values), per_request)]
        return {h: np.concatenate([o[f"{h}_probabilities"].numpy() for o in outs]) for h in heads}

    record = check_parity("saved_model", reference, batched(IMAGES_SIGNATURE, IMAGES_INPUT, images), len(images))
    pngs = [tf.io.encode_png(im.astype("uint8")).numpy() for im in images]
    from_bytes = batched(BYTES_SIGNATURE, BYTES_INPUT, pngs)
    record["bytes_signature"] = check_parity("saved_model", reference, from_bytes, len(images))
    warmup_file = Path(version_dir) / "assets.extra" / warmup.WARMUP_FILE
    if warmup_file.is_file():
        for signature, inputs in warmup.read_warmup_requests(warmup_file):
            loaded.signatures[signature](**{k: tf.constant(v) for k, v in inputs.items()})
    record["warmup_requests_replayed"] = warmup_file.is_file()
    return record


def read_metadata(version_dir: str | os.PathLike) -> dict:
    path = Path(version_dir) / "assets.extra" / METADATA_FILE
    if not path.is_file():
        raise ArtzooError(f"{str(version_dir)!r} has no assets.extra/{METADATA_FILE}; was it exported by artzoo?")
    return json.loads(path.read_text())
