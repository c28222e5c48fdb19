"""Output parity between an exported artefact and the Keras model it came from, checked before the export is
published: a conversion that changes what the model says fails the export instead of shipping."""

from __future__ import annotations

from typing import Mapping

import numpy as np

from artzoo.errors import ArtzooError

# Largest accepted absolute difference of any probability, per format.
TOLERANCE = {"saved_model": 1e-4, "keras": 1e-5, "tflite": 1e-3, "onnx": 1e-3}


def parity_inputs(size: int, n: int = 4, seed: int = 0) -> np.ndarray:
    """`n` deterministic float32 images in 0..255: smooth gradients with noise, so every class score moves."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:size, 0:size] / max(size - 1, 1)
    images = []
    for _ in range(n):
        a, b, c = rng.uniform(-1, 1, 3)
        base = np.stack([a * x + b * y, b * x - c * y, c * x + a * y], axis=-1)
        noise = rng.normal(0, 0.25, (size, size, 3))
        images.append(np.clip(127.5 + 127.5 * (0.6 * base + noise), 0, 255).round())
    return np.stack(images).astype(np.float32)


def max_differences(reference: Mapping[str, np.ndarray], other: Mapping[str, np.ndarray]) -> dict[str, float]:
    """Largest absolute difference per head (keys of `reference`)."""
    missing = sorted(set(reference) - set(other))
    if missing:
        raise ArtzooError(f"exported model lacks outputs {missing}; it returns {sorted(other)}")
    return {k: float(np.max(np.abs(np.asarray(reference[k], np.float64) - np.asarray(other[k], np.float64))))
            for k in reference}


def check_parity(fmt: str, reference: Mapping[str, np.ndarray], other: Mapping[str, np.ndarray], n: int) -> dict:
    """Raises if any head differs by more than the format's tolerance; returns the record kept in metadata."""
    diffs = max_differences(reference, other)
    tolerance = TOLERANCE[fmt]
    worst = max(diffs, key=diffs.get)
    if diffs[worst] > tolerance:
        raise ArtzooError(
            f"{fmt} export differs from the Keras model by {diffs[worst]:.2e} on head {worst!r} "
            f"(tolerance {tolerance:.0e}); the export was not written"
        )
    return {"images": n, "tolerance": tolerance, "max_abs_diff": diffs}


def keras_probabilities(model, images: np.ndarray) -> dict[str, np.ndarray]:
    out = model.predict_on_batch(images)
    return {k: np.asarray(v, np.float32) for k, v in out.items()}
