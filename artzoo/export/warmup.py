"""TF Serving warmup records (`assets.extra/tf_serving_warmup_requests`): PredictionLog protos in a TFRecord
file that TF Serving replays when it loads a version, so the first real request does not pay for graph
initialisation. One request per signature, on synthetic images made here (export knows nothing of datasets).

The protos come from tensorflow-serving-api, the `serving` extra: without it an export has no warmup file
(`available()` is False) and is otherwise the same.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import tensorflow as tf

from artzoo.extras import available as extra_available, require
from artzoo.export.serving_spec import BYTES_INPUT, BYTES_SIGNATURE, IMAGES_INPUT, IMAGES_SIGNATURE, ServingSpec

WARMUP_FILE = "tf_serving_warmup_requests"


def warmup_images(size: int) -> list[np.ndarray]:
    """Two deterministic uint8 RGB images: one at the model's size and one larger, non-square one."""
    rng = np.random.default_rng(0)
    images = []
    for height, width in ((size, size), (2 * size, size + size // 2)):
        y, x = np.mgrid[0:height, 0:width]
        gradient = np.stack([255 * x / width, 255 * y / height, 128 + 0 * x], axis=-1)
        noisy = gradient + rng.normal(0, 20, gradient.shape)
        images.append(np.clip(noisy, 0, 255).astype(np.uint8))
    return images


def available() -> bool:
    """Whether warmup records can be written here (the `serving` extra is installed)."""
    return extra_available("serving")


def _apis():
    require("serving", "tensorflow_serving")
    from tensorflow_serving.apis import predict_pb2, prediction_log_pb2

    return predict_pb2, prediction_log_pb2


def warmup_requests(spec: ServingSpec, model_name: str = "") -> list:
    """PredictRequests: a JPEG batch and a PNG for `serving_default`, a float batch for `serving_images`, within the
    spec's serving bounds (with tight limits: smaller batches, and the larger image left out)."""
    predict_pb2, _ = _apis()
    images = [im for im in warmup_images(spec.image_size) if im.shape[0] * im.shape[1] <= spec.max_pixels]
    jpegs = [tf.io.encode_jpeg(im, quality=90).numpy() for im in images]
    png = tf.io.encode_png(images[-1]).numpy()
    floats = images[0][None].astype(np.float32)
    fits = len(jpegs) <= spec.max_batch and sum(im.shape[0] * im.shape[1] for im in images) <= spec.max_request_pixels
    jpeg_batches = [jpegs] if fits else [[jpeg] for jpeg in jpegs]
    inputs = [
        *[(BYTES_SIGNATURE, BYTES_INPUT, tf.make_tensor_proto(batch, dtype=tf.string)) for batch in jpeg_batches],
        (BYTES_SIGNATURE, BYTES_INPUT, tf.make_tensor_proto([png], dtype=tf.string)),
        (IMAGES_SIGNATURE, IMAGES_INPUT, tf.make_tensor_proto(floats, dtype=tf.float32)),
    ]
    requests = []
    for signature, input_name, tensor in inputs:
        request = predict_pb2.PredictRequest()
        request.model_spec.name = model_name
        request.model_spec.signature_name = signature
        request.inputs[input_name].CopyFrom(tensor)
        requests.append(request)
    return requests


def write_warmup_requests(assets_extra: Path, spec: ServingSpec, model_name: str = "") -> Path:
    _, prediction_log_pb2 = _apis()
    path = Path(assets_extra) / WARMUP_FILE
    with tf.io.TFRecordWriter(str(path)) as writer:
        for request in warmup_requests(spec, model_name):
            log = prediction_log_pb2.PredictionLog(predict_log=prediction_log_pb2.PredictLog(request=request))
            writer.write(log.SerializeToString())
    return path


def read_warmup_requests(path: str | Path) -> list[tuple[str, dict[str, np.ndarray]]]:
    """Parses the records back: `(signature_name, {input_name: array})` per request."""
    _, prediction_log_pb2 = _apis()
    out = []
    for record in tf.data.TFRecordDataset(str(path)).as_numpy_iterator():
        log = prediction_log_pb2.PredictionLog.FromString(record)
        request = log.predict_log.request
        out.append((request.model_spec.signature_name,
                    {name: tf.make_ndarray(tensor) for name, tensor in request.inputs.items()}))
    return out
