"""An exported model of any format, opened for prediction on encoded image files.

`open_exported(path)` takes a SavedModel version folder (or a TF Serving model folder: its latest version), a
`.keras`, a `.tflite` or an `.onnx` file. Every kind answers `outputs(list_of_bytes)` with the SavedModel's
output names (`{head}_probabilities`, `{head}_top_k_labels`, ...). Labels come from the SavedModel graph, or
from the serving spec stored inside the other files. Images the model rejects raise `RejectedImages`.

`open_exported(path, tta="flip"|"crops")` scores each image on its test-time views (`artzoo.models.tta`) and
averages the probabilities, for any format (a SavedModel through its `serving_images` signature); an export
that already has TTA inside (exported with --tta) refuses a second one.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import tensorflow as tf

from artzoo.errors import ArtzooError
from artzoo.export.bounded_decode import bounded_decode, model_pixels
from artzoo.export.head_outputs import head_outputs
from artzoo.export.serving_spec import BYTES_INPUT, BYTES_SIGNATURE, IMAGES_INPUT, IMAGES_SIGNATURE, ServingSpec

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


def decoder(spec: ServingSpec):
    """Encoded bytes -> model pixels, bounds-checked exactly as the SavedModel graph does."""
    return tf.function(
        lambda data, index: model_pixels(bounded_decode(data, index, spec.max_image_bytes, spec.max_pixels),
                                         spec.image_size, spec.resize),
        input_signature=[tf.TensorSpec([], tf.string), tf.TensorSpec([], tf.int64)],
    )


def decode_all(decode, images: list[bytes]) -> np.ndarray:
    try:
        return np.stack([decode(tf.constant(b, tf.string), tf.constant(i, tf.int64)).numpy()
                         for i, b in enumerate(images)])
    except tf.errors.InvalidArgumentError as err:
        raise RejectedImages(serving_error_message(err)) from None


def view_mean(probabilities, pixels: np.ndarray, tta: str) -> dict[str, np.ndarray]:
    """`probabilities(views)` averaged over the test-time views of each image."""
    from artzoo.models.tta import TTAViews

    views = TTAViews(tta)
    probs = probabilities(np.asarray(views(pixels)))
    return {h: np.asarray(p, np.float32).reshape(views.num_views, len(pixels), -1).mean(axis=0)
            for h, p in probs.items()}


def check_tta(tta: str, spec_tta: str, path) -> None:
    from artzoo.errors import choice_error
    from artzoo.models.tta import TTA_MODES

    if tta not in TTA_MODES:
        raise choice_error("test-time augmentation", tta, TTA_MODES)
    if tta != "none" and spec_tta not in (None, "none"):
        raise ArtzooError(f"--tta {tta}: {str(path)!r} was exported with test-time augmentation {spec_tta!r} inside; "
                          "predict without --tta")


class SavedModelExport(ExportedModel):
    kind = "saved_model"

    def __init__(self, path: Path, tta: str = "none"):
        self.path = resolve_saved_model(path)
        loaded = tf.saved_model.load(str(self.path))
        self._serve = loaded.signatures[BYTES_SIGNATURE]
        specs = self._serve.structured_outputs
        names = sorted(k[: -len("_probabilities")] for k in specs if k.endswith("_probabilities"))
        self.heads = [(h, "sigmoid" if f"{h}_decisions" in specs else "softmax") for h in names]
        self.top_k = {h: int(specs[f"{h}_top_k_labels"].shape[1]) for h in names}
        self.tta = tta
        if tta != "none":
            from artzoo.export.saved_model import read_metadata

            metadata = read_metadata(self.path)
            check_tta(tta, metadata.get("tta"), self.path)
            self.spec = ServingSpec.from_json(metadata, str(self.path))
            self._images = loaded.signatures[IMAGES_SIGNATURE]
            self._decode = decoder(self.spec)

    def _probabilities(self, pixels: np.ndarray) -> dict[str, np.ndarray]:
        out = self._images(**{IMAGES_INPUT: tf.constant(pixels, tf.float32)})
        return {h: out[f"{h}_probabilities"].numpy() for h, _ in self.heads}

    def outputs(self, images: list[bytes]) -> dict[str, np.ndarray]:
        if self.tta != "none":
            probs = view_mean(self._probabilities, decode_all(self._decode, images), self.tta)
            return {k: v.numpy() for k, v in head_outputs(probs, self.spec.heads).items()}
        try:
            out = self._serve(**{BYTES_INPUT: tf.constant(images, tf.string)})
        except tf.errors.InvalidArgumentError as err:
            raise RejectedImages(serving_error_message(err)) from None
        return {k: v.numpy() for k, v in out.items()}


class PixelModelExport(ExportedModel):
    """Formats that take pixels (.keras, TFLite, ONNX): decoding, bounds and head outputs done here in TF,
    with the same functions the SavedModel graph uses."""

    tta = "none"

    def __init__(self, path: Path, spec: ServingSpec):
        self.path = path
        self.spec = spec
        self.heads = [(h.name, h.type) for h in spec.heads]
        self.top_k = {h.name: h.k for h in spec.heads}
        self._pixels = decoder(spec)

    def probabilities(self, pixels: np.ndarray) -> dict[str, np.ndarray]:
        raise NotImplementedError

    def outputs(self, images: list[bytes]) -> dict[str, np.ndarray]:
        pixels = decode_all(self._pixels, images)
        probs = self.probabilities(pixels) if self.tta == "none" else view_mean(self.probabilities, pixels, self.tta)
        return {k: v.numpy() for k, v in head_outputs(probs, self.spec.heads).items()}


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


def open_exported(path: str | Path, tta: str = "none") -> ExportedModel:
    path = Path(path)
    if path.is_dir():
        return SavedModelExport(path, tta)
    if path.is_file() and path.suffix in _BY_SUFFIX:
        model = _BY_SUFFIX[path.suffix](path)
        check_tta(tta, model.spec.extra.get("tta"), path)
        model.tta = tta
        return model
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
