"""Optional parts installed as extras (`pip install "artzoo[onnx]"`), and the one-line error when one is missing."""

from __future__ import annotations

import importlib
import importlib.util

from artzoo.errors import ArtzooError

# extra -> (what it enables, modules it provides)
EXTRAS = {
    "onnx": ("ONNX export and prediction", ("tf2onnx", "onnx", "onnxruntime")),
    "tflite": ("TFLite (LiteRT) export and prediction", ("ai_edge_litert",)),
    "serving": ("TF Serving warmup records", ("tensorflow_serving",)),
    "classical": ("the OpenCV classical baselines (bag of visual words, SIFT matching)", ("cv2",)),
    "hub": ("keras-hub backbones (ViT)", ("keras_hub",)),
}


class MissingExtra(ArtzooError):
    """An optional dependency is not installed; the message names the extra that installs it."""


def require(extra: str, module: str):
    """Imports and returns `module`, or raises `MissingExtra` naming `extra` in one line."""
    try:
        return importlib.import_module(module)
    except ImportError as err:
        what = EXTRAS[extra][0]
        raise MissingExtra(f"{what} needs the '{extra}' extra ({err.name or module} is not installed): "
                           f"pip install \"artzoo[{extra}]\"") from None


def available(extra: str) -> bool:
    """Whether every module of `extra` can be found (without importing it)."""
    try:
        return all(importlib.util.find_spec(m) is not None for m in EXTRAS[extra][1])
    except (ImportError, ValueError):
        return False
