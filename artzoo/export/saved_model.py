"""SavedModel export in TF Serving layout (`<base>/<version>/`), loadable with TensorFlow alone.

Signatures:
  serving_default(image_bytes: string[batch]) -- bounds checks, decode (JPEG/PNG/GIF/BMP/WebP), resize exactly
      as in training, the backbone's preprocessing (inside the Keras model), every head.
  serving_images(images: float32[batch, H, W, 3], pixels 0..255, any H, W) -- the same without decoding.
Outputs, per head `h`: `h_probabilities`, `h_top_k_ids`, `h_top_k_labels`, `h_top_k_scores`, and for
multi-label heads `h_decisions` (probability >= the head's threshold). Labels are embedded in the graph.
`assets.extra/` holds `artzoo.json` (the serving spec) and `tf_serving_warmup_requests`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Optional

import keras
import tensorflow as tf

from artzoo import atomic
from artzoo.errors import ArtzooError
from artzoo.export.bounded_decode import bounded_decode, model_pixels
from artzoo.export.head_outputs import head_outputs
from artzoo.export.serving_spec import (  # noqa: F401  (HeadSpec: public, used by callers)
    BYTES_INPUT, BYTES_SIGNATURE, IMAGES_INPUT, IMAGES_SIGNATURE, METADATA_FILE, HeadSpec, ServingSpec, validate_spec,
)
from artzoo.export.parity import check_parity, keras_probabilities, parity_inputs
from artzoo.export import warmup


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
        version: explicit version number (>= 1); default the next free one.
        check: load the export back before publishing it and compare it with the Keras model (see
            `check_saved_model`); the result is stored under `parity` in `assets.extra/artzoo.json`.

    Returns:
        The version directory.
    """
    validate_spec(spec)
    base = Path(base_dir)
    if version is not None and version < 1:
        raise ArtzooError(f"export version must be a positive integer, got {version}")
    version = version or next_version(base)
    target = base / str(version)
    if target.exists():
        raise ArtzooError(f"export version {target} already exists; versions are never overwritten")
    archive = build_archive(model, spec)
    with atomic.new_directory(target) as tmp:
        archive.write_out(str(tmp), verbose=False)
        extra = tmp / "assets.extra"
        extra.mkdir(exist_ok=True)
        if warmup.available():  # the `serving` extra
            warmup.write_warmup_requests(extra, spec, model_name=base.resolve().name)
        metadata = {**spec.to_json(), "signatures": [BYTES_SIGNATURE, IMAGES_SIGNATURE]}
        if check:
            metadata["parity"] = check_saved_model(model, spec, tmp)
        atomic.write_json(extra / METADATA_FILE, metadata)
    return target


def build_archive(model: keras.Model, spec: ServingSpec) -> keras.export.ExportArchive:
    archive = keras.export.ExportArchive()
    archive.track(model)
    size = spec.image_size
    pixels_spec = tf.TensorSpec([size, size, 3], tf.float32)

    def from_bytes(image_bytes):
        indices = tf.range(tf.shape(image_bytes)[0], dtype=tf.int64)
        images = tf.map_fn(
            lambda item: model_pixels(bounded_decode(item[0], item[1], spec.max_image_bytes, spec.max_pixels),
                                      size, spec.resize),
            (image_bytes, indices),
            fn_output_signature=pixels_spec,
        )
        return head_outputs(model(images, training=False), spec.heads)

    def from_images(images):
        shape = tf.shape(images, out_type=tf.int64)
        check = tf.debugging.Assert(
            shape[1] * shape[2] <= spec.max_pixels,
            [tf.strings.format("images: {}x{} pixels exceed the limit of " + str(spec.max_pixels) + " pixels",
                               (shape[2], shape[1]))],
        )
        with tf.control_dependencies([check]):
            resized = tf.map_fn(lambda im: model_pixels(im, size, spec.resize), images,
                                fn_output_signature=pixels_spec)
        return head_outputs(model(resized, training=False), spec.heads)

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

    def probabilities(outputs):
        return {h: outputs[f"{h}_probabilities"].numpy() for h in heads}

    from_images = loaded.signatures[IMAGES_SIGNATURE](**{IMAGES_INPUT: tf.constant(images)})
    record = check_parity("saved_model", reference, probabilities(from_images), len(images))
    pngs = tf.constant([tf.io.encode_png(im.astype("uint8")).numpy() for im in images])
    from_bytes = loaded.signatures[BYTES_SIGNATURE](**{BYTES_INPUT: pngs})
    record["bytes_signature"] = check_parity("saved_model", reference, probabilities(from_bytes), len(images))
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
