"""ONNX export through Keras's own exporter (`model.export(format="onnx")`, tf2onnx underneath): float32 pixels
in 0..255 at the model's size -> per-head probabilities, checked with onnxruntime. The serving spec travels in
the model's `metadata_props` under `artzoo`."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import keras
import numpy as np

from artzoo import atomic
from artzoo.errors import ArtzooError
from artzoo.export.parity import check_parity, keras_probabilities, parity_inputs
from artzoo.export.serving_spec import METADATA_NAME, ServingSpec, validate_spec
from artzoo.extras import require

SUFFIX = ".onnx"


def export_onnx(model: keras.Model, spec: ServingSpec, out: str | Path) -> Path:
    """Exports, checks parity with onnxruntime, and writes `out` (a new file; never overwritten)."""
    require("onnx", "tf2onnx")  # what Keras's ONNX exporter runs on
    onnx = require("onnx", "onnx")

    validate_spec(spec)
    out = Path(out)
    images = parity_inputs(spec.image_size)
    reference = keras_probabilities(model, images)
    model(images[:1], training=False)  # Keras's ONNX exporter refuses a model that was never called (e.g. loaded)
    with atomic.new_file(out) as tmp:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)  # tf2onnx probes the removed np.object
            model.export(str(tmp), format="onnx", verbose=False)
        proto = onnx.load(str(tmp))
        parity = check_parity("onnx", reference, run_onnx(_session(proto), images), len(images))
        entry = proto.metadata_props.add()
        entry.key, entry.value = METADATA_NAME, json.dumps({**spec.to_json(), "parity": parity})
        onnx.save(proto, str(tmp))
    return out


def _session(proto):
    onnxruntime = require("onnx", "onnxruntime")
    return onnxruntime.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])


def run_onnx(session, images: np.ndarray) -> dict[str, np.ndarray]:
    (model_input,) = session.get_inputs()
    names = [o.name for o in session.get_outputs()]
    outputs = session.run(names, {model_input.name: images.astype(np.float32)})
    return dict(zip(names, outputs))


def load_onnx(path: str | Path):
    onnxruntime = require("onnx", "onnxruntime")
    return onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])


def read_onnx_metadata(session, path: str | Path) -> ServingSpec:
    data = session.get_modelmeta().custom_metadata_map.get(METADATA_NAME)
    if data is None:
        raise ArtzooError(f"{str(path)!r} has no '{METADATA_NAME}' metadata; was it exported by artzoo?")
    return ServingSpec.from_json(json.loads(data), source=str(path))
