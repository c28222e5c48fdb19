"""`artzoo.load(path)`: any trained artzoo model, opened for prediction on image files, bytes or arrays.

`path` may be a run directory (its best `model.keras`, with the run's labels and tuned thresholds), a
SavedModel version folder or TF Serving base folder (its newest version), or an exported `.keras`, `.tflite`
or `.onnx` file. Every kind decodes, bounds and resizes images with the same TensorFlow functions the
SavedModel graph uses, so they agree on the same input.
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Optional, Sequence, Union

import numpy as np

from artzoo.errors import ArtzooError, storage_errors_as_user_errors

ImageInput = Union[str, os.PathLike, bytes, np.ndarray]
KINDS = "a run directory, a SavedModel folder, or a .keras, .tflite or .onnx file"


class Predictor:
    """An opened model. `labels`: {head: class names}; `heads`: [(name, "softmax" | "sigmoid")]; `kind`."""

    def __init__(self, exported, labels: dict[str, list[str]]):
        self._model = exported
        self.path = Path(exported.path)
        self.kind = exported.kind
        self.heads = list(exported.heads)
        self.labels = labels

    def __repr__(self) -> str:
        return f"Predictor({self.kind}, {str(self.path)!r}, heads={[h for h, _ in self.heads]})"

    def predict(self, images: Union[ImageInput, Sequence[ImageInput]], top_k: Optional[int] = None) -> list[dict]:
        """Per image: `{"image": name, head: [{"label", "probability"[, "positive"]}, ...]}`, best first.

        `images`: file paths, encoded bytes (JPEG, PNG, ...) or uint8 RGB arrays (H, W, 3), alone or in a list.
        An image the model rejects (corrupt, too large) gets `{"image": name, "error": message}` instead.

        >>> import artzoo
        >>> artzoo.load("saved_models/genre").predict(["painting.jpg"], top_k=1)  # doctest: +SKIP
        [{'image': 'painting.jpg', 'genre': [{'label': 'Portrait', 'probability': 0.93}]}]
        """
        from artzoo.predict import predict_encoded

        if isinstance(images, (str, os.PathLike, bytes)) or (isinstance(images, np.ndarray) and images.ndim == 3):
            images = [images]
        names, data = zip(*[_encoded(image, i) for i, image in enumerate(images)]) if len(images) else ((), ())
        return predict_encoded(self._model, list(names), list(data), top_k)


def _encoded(image: ImageInput, index: int) -> tuple[str, bytes]:
    if isinstance(image, (str, os.PathLike)):
        if not Path(image).is_file():
            raise ArtzooError(f"image {str(image)!r} does not exist")
        return str(image), Path(image).read_bytes()
    if isinstance(image, (bytes, bytearray)):
        return f"<bytes {index}>", bytes(image)
    array = np.asarray(image)
    if array.ndim != 3 or array.shape[-1] not in (1, 3):
        raise ArtzooError(f"image array {index} has shape {array.shape}; expected (height, width, 3) RGB")
    from PIL import Image

    pixels = np.clip(np.rint(array), 0, 255).astype(np.uint8) if array.dtype != np.uint8 else array
    buffer = io.BytesIO()
    Image.fromarray(pixels[..., 0] if pixels.shape[-1] == 1 else pixels).convert("RGB").save(buffer, format="PNG")
    return f"<array {index}>", buffer.getvalue()  # PNG: lossless, so the model sees exactly these pixels


def load(path: Union[str, os.PathLike], tta: str = "none") -> Predictor:
    """Opens a run directory, a SavedModel (version or base folder), or a `.keras`, `.tflite`, `.onnx` export.
    `tta` ("flip", "crops") scores each image on its test-time views and averages the probabilities
    (`artzoo.models.tta`); an export that has TTA inside (exported with --tta) refuses a second one.

    >>> import artzoo
    >>> predictor = artzoo.load("runs/genre-20250101-120000")  # doctest: +SKIP
    >>> predictor.labels  # doctest: +SKIP
    {'genre': ['Genre', 'Landscape', 'Naturmort', 'Portrait']}
    """
    path = Path(path)
    run_root = path if path.is_dir() else path.parent
    if (run_root / "config.yaml").is_file() and (run_root / "model.keras").is_file() and (
            path.is_dir() or path.name == "model.keras"):
        from artzoo.exported_model import check_tta

        check_tta(tta, None, path)  # a run's model.keras never has TTA inside (export adds it)
        exported = RunExport(run_root)
        exported.tta = tta
        return Predictor(exported, {h.name: list(h.classes) for h in exported.spec.heads})
    from artzoo.exported_model import SavedModelExport, open_exported

    if not path.exists():
        raise ArtzooError(f"model {str(path)!r} does not exist; expected {KINDS}")
    exported = open_exported(path, tta)
    if isinstance(exported, SavedModelExport):
        from artzoo.export.saved_model import read_metadata

        labels = {h["name"]: list(h["classes"]) for h in read_metadata(exported.path)["heads"]}
    else:
        labels = {h.name: list(h.classes) for h in exported.spec.heads}
    return Predictor(exported, labels)


def _run_export_class():
    from artzoo.exported_model import PixelModelExport

    class _RunExport(PixelModelExport):
        """A run's best `model.keras` with the serving spec its export would get (labels, tuned thresholds)."""

        kind = "run"

        def __init__(self, root: Path):
            import keras

            from artzoo.export.exporter import spec_for_run, tuned_thresholds
            from artzoo.models.float32_clone import for_cpu_inference
            from artzoo.run_dir import RunDir

            run = RunDir.open(root)
            cfg = run.config()
            super().__init__(run.root, spec_for_run(cfg, run.classes(), tuned_thresholds(run)))
            self._keras = for_cpu_inference(keras.models.load_model(run.model_path, safe_mode=True))

        def probabilities(self, pixels):
            return self._keras.predict_on_batch(pixels)

    return _RunExport


def RunExport(root: Path):  # noqa: N802  (a class made on first use: PixelModelExport imports TensorFlow)
    return _run_export_class()(root)


@storage_errors_as_user_errors
def predict_files(model_path: str | Path, images: Sequence[str], top_k: Optional[int] = None,
                  tta: str = "none") -> list[dict]:
    """One dict per image: `{"image": path, head: [{"label", "probability"[, "positive"]}, ...]}`, or
    `{"image": path, "error": message}` for an image the model rejected (what `artzoo.load(path).predict` gives).
    `tta` ("flip", "crops") averages each image's test-time views (`artzoo.models.tta`)."""
    from artzoo.predict import check_image_path

    for image in images:  # before the (slow) model load
        check_image_path(image)
    return load(model_path, tta=tta).predict(list(images), top_k)
