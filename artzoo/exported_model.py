"""An exported model of any format, opened for prediction on encoded image files.

`open_exported(path)` takes a SavedModel version folder (or a TF Serving model folder: its latest version), a
`.keras`, a `.tflite` or an `.onnx` file. Every kind answers `outputs(list_of_bytes)` with the SavedModel's
output names (`{head}_probabilities`, `{head}_top_k_labels`, ...). Labels come from the SavedModel graph, or
from the serving spec stored inside the other files. Images the model rejects raise `RejectedImages`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import tensorflow as tf

from artzoo.errors import ArtzooError
from artzoo.export.bounded_decode import bounded_decode, model_pixels
from artzoo.export.head_outputs import head_outputs
from artzoo.export.serving_spec import BYTES_INPUT, BYTES_SIGNATURE, ServingSpec

KINDS = "a SavedModel folder, or a .keras, .tflite or .onnx file"


class RejectedImages(ArtzooError):
    """The model refused a batch (bad, corrupt or oversized image); the message is the model's own."""


def serving_error_message(err: tf.errors.OpError) -> str:
    """The informative line of a TensorFlow error (without 'Graph execution error', node names, stacks)."""
    lines = [line.strip() for line in str(err.message).splitlines()]
    noise = ("Graph execution error", "Detected at node", "<stack traces", "[[")
    useful = [line for line in lines if line and not line.startswith(noise)]
    text = (useful or lines or ["unknown error"])[0]
    if text.startswith("assertion failed: [") and text.endswith("]"):
        text = text[len("assertion failed: ["):-1]
    return text


class ExportedModel:
    """Common interface; `heads` is [(name, type)] and `top_k` {head: how many classes it ranks}."""

    kind = ""
    heads: list[tuple[str, str]]
    top_k: dict[str, int]

    def outputs(self, images: list[bytes]) -> dict[str, np.ndarray]:
        raise NotImplementedError


class SavedModelExport(ExportedModel):
    kind = "saved_model"

    def __init__(self, path: Path):
        self.path = resolve_saved_model(path)
        self._serve = tf.saved_model.load(str(self.path)).signatures[BYTES_SIGNATURE]
        specs = self._serve.structured_outputs
        names = sorted(k[: -len("_probabilities")] for k in specs if k.endswith("_probabilities"))
        self.heads = [(h, "sigmoid" if f"{h}_decisions" in specs else "softmax") for h in names]
        self.top_k = {h: int(specs[f"{h}_top_k_labels"].shape[1]) for h in names}

    def outputs(self, images: list[bytes]) -> dict[str, np.ndarray]:
        try:
            out = self._serve(**{BYTES_INPUT: tf.constant(images, tf.string)})
        except tf.errors.InvalidArgumentError as err:
            raise RejectedImages(serving_error_message(err)) from None
        return {k: v.numpy() for k, v in out.items()}


class PixelModelExport(ExportedModel):
    """Formats that take pixels (.keras, TFLite, ONNX): decoding, bounds and head outputs done here in TF,
    with the same functions the SavedModel graph uses."""

    def __init__(self, path: Path, spec: ServingSpec):
        self.path = path
        self.spec = spec
        self.heads = [(h.name, h.type) for h in spec.heads]
        self.top_k = {h.name: h.k for h in spec.heads}
        self._pixels = tf.function(
            lambda data, index: model_pixels(bounded_decode(data, index, spec.max_image_bytes, spec.max_pixels),
                                             spec.image_size, spec.resize),
            input_signature=[tf.TensorSpec([], tf.string), tf.TensorSpec([], tf.int64)],
        )

    def probabilities(self, pixels: np.ndarray) -> dict[str, np.ndarray]:
        raise NotImplementedError

    def outputs(self, images: list[bytes]) -> dict[str, np.ndarray]:
        try:
            pixels = np.stack([self._pixels(tf.constant(b, tf.string), tf.constant(i, tf.int64)).numpy()
                               for i, b in enumerate(images)])
        except tf.errors.InvalidArgumentError as err:
            raise RejectedImages(serving_error_message(err)) from None
        return {k: v.numpy() for k, v in head_outputs(self.probabilities(pixels), self.spec.heads).items()}


class KerasExport(PixelModelExport):
    kind = "keras"

    def __init__(self, path: Path):
        from artzoo.export.keras_format import load_keras, read_keras_metadata

        super().__init__(path, read_keras_metadata(path))
        self._model = load_keras(path)

    def probabilities(self, pixels):
        return self._model.predict_on_batch(pixels)


class TFLiteExport(PixelModelExport):
    kind = "tflite"

    def __init__(self, path: Path):
        from artzoo.export.tflite_format import load_tflite, read_tflite_metadata

        super().__init__(path, read_tflite_metadata(path))
        self._interpreter = load_tflite(path)

    def probabilities(self, pixels):
        from artzoo.export.tflite_format import run_tflite

        return run_tflite(self._interpreter, pixels)


class OnnxExport(PixelModelExport):
    kind = "onnx"

    def __init__(self, path: Path):
        from artzoo.export.onnx_format import load_onnx, read_onnx_metadata

        session = load_onnx(path)
        super().__init__(path, read_onnx_metadata(session, path))
        self._session = session

    def probabilities(self, pixels):
        from artzoo.export.onnx_format import run_onnx

        return run_onnx(self._session, pixels)


_BY_SUFFIX = {".keras": KerasExport, ".tflite": TFLiteExport, ".onnx": OnnxExport}


def open_exported(path: str | Path) -> ExportedModel:
    path = Path(path)
    if path.is_dir():
        return SavedModelExport(path)
    if path.is_file() and path.suffix in _BY_SUFFIX:
        return _BY_SUFFIX[path.suffix](path)
    raise ArtzooError(f"model {str(path)!r} is not {KINDS}")


def resolve_saved_model(path: str | Path) -> Path:
    """A version directory, or the latest numeric version under a TF Serving model directory."""
    path = Path(path)
    if (path / "saved_model.pb").is_file():
        return path
    versions = sorted(int(p.name) for p in path.glob("*") if p.name.isdigit() and (p / "saved_model.pb").is_file())
    if not versions:
        raise ArtzooError(f"model {str(path)!r} is not a SavedModel directory (no saved_model.pb, no version folders)")
    return path / str(versions[-1])
