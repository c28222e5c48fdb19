"""TFLite (LiteRT) export: float32 pixels in 0..255 at the model's size -> per-head probabilities.

The serving spec travels inside the flatbuffer as model metadata named `artzoo` (the file format's own place
for named side data). Decoding and resizing stay outside: TFLite has no image decoders.
"""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from artzoo import atomic
from artzoo.errors import ArtzooError
from artzoo.extras import require

require("tflite", "ai_edge_litert")  # the `tflite` extra: one line naming it when missing
import flatbuffers  # noqa: E402  (installed with ai-edge-litert and TensorFlow)
from ai_edge_litert import schema_py_generated as schema  # noqa: E402
from ai_edge_litert.interpreter import Interpreter  # noqa: E402

from artzoo.export.parity import check_parity, keras_probabilities, parity_inputs  # noqa: E402
from artzoo.export.serving_spec import METADATA_NAME, ServingSpec, validate_spec  # noqa: E402

SUFFIX = ".tflite"
_FILE_IDENTIFIER = b"TFL3"


def export_tflite(model: keras.Model, spec: ServingSpec, out: str | Path) -> Path:
    """Converts, checks parity on the converted bytes, and writes `out` (a new file; never overwritten)."""
    validate_spec(spec)
    with contextlib.redirect_stdout(io.StringIO()):  # the converter prints its temporary SavedModel's endpoints
        flatbuffer = tf.lite.TFLiteConverter.from_keras_model(model).convert()
    images = parity_inputs(spec.image_size)
    converted = run_tflite(Interpreter(model_content=flatbuffer), images)
    parity = check_parity("tflite", keras_probabilities(model, images), converted, len(images))
    flatbuffer = with_metadata(flatbuffer, METADATA_NAME, json.dumps({**spec.to_json(), "parity": parity}).encode())
    out = Path(out)
    with atomic.new_file(out) as tmp:
        tmp.write_bytes(flatbuffer)
    return out


def run_tflite(interpreter: Interpreter, images: np.ndarray) -> dict[str, np.ndarray]:
    """Per-head probabilities from the default signature (it resizes the batch dimension as needed)."""
    runner = interpreter.get_signature_runner()
    (input_name,) = runner.get_input_details()
    return {k: np.asarray(v) for k, v in runner(**{input_name: images.astype(np.float32)}).items()}


def with_metadata(flatbuffer: bytes, name: str, data: bytes) -> bytes:
    """The model with one more metadata entry `name` -> `data` (a new buffer)."""
    model = schema.ModelT.InitFromPackedBuf(bytearray(flatbuffer), 0)
    buffer = schema.BufferT()
    buffer.data = np.frombuffer(data, dtype=np.uint8)
    model.buffers.append(buffer)
    entry = schema.MetadataT()
    entry.name = name
    entry.buffer = len(model.buffers) - 1
    model.metadata = [m for m in (model.metadata or []) if m.name != name.encode()] + [entry]
    builder = flatbuffers.Builder(len(flatbuffer) + len(data) + 1024)
    builder.Finish(model.Pack(builder), file_identifier=_FILE_IDENTIFIER)
    return bytes(builder.Output())


def read_metadata(flatbuffer: bytes, name: str) -> bytes | None:
    model = schema.Model.GetRootAsModel(flatbuffer, 0)
    for i in range(model.MetadataLength()):
        entry = model.Metadata(i)
        if entry.Name().decode() == name:
            return model.Buffers(entry.Buffer()).DataAsNumpy().tobytes()
    return None


def read_tflite_metadata(path: str | Path) -> ServingSpec:
    data = read_metadata(Path(path).read_bytes(), METADATA_NAME)
    if data is None:
        raise ArtzooError(f"{str(path)!r} has no '{METADATA_NAME}' metadata; was it exported by artzoo?")
    return ServingSpec.from_json(json.loads(data), source=str(path))


def load_tflite(path: str | Path) -> Interpreter:
    return Interpreter(model_path=str(path))
