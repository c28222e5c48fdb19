"""Output parity between an exported artefact and the Keras model it came from, checked before the export is
published: a conversion that changes what the model says fails the export instead of shipping."""

from __future__ import annotations

from typing import Mapping

import numpy as np

from artzoo.errors import ArtzooError

# Largest accepted absolute difference of any probability between an export and the float32 Keras model it was
# written from, per format.
TOLERANCE = {"saved_model": 1e-4, "keras": 1e-5, "tflite": 1e-3, "onnx": 1e-3}
# Largest accepted absolute difference of any probability between that float32 model and the model as trained,
# by training precision: a 16-bit model computes each probability to about 1e-3 (float16: 11-bit significand)
# or 1e-2 (bfloat16: 8 bits), so its float32 rebuild may move by that much; float32 must match exactly.
PRECISION_TOLERANCE = {"float32": 1e-6, "mixed_float16": 1e-2, "mixed_bfloat16": 5e-2}


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


def check_precision(trained_precision: str, trained: Mapping[str, np.ndarray], exported: Mapping[str, np.ndarray],
                    n: int) -> dict:
    """Raises if the float32 model differs from the trained one by more than its training precision allows;
    returns the record kept in metadata."""
    diffs = max_differences(trained, exported)
    tolerance = PRECISION_TOLERANCE.get(trained_precision, PRECISION_TOLERANCE["float32"])
    worst = max(diffs, key=diffs.get)
    if diffs[worst] > tolerance:
        raise ArtzooError(
            f"the float32 rebuild of the {trained_precision} model differs from it by {diffs[worst]:.2e} on head "
            f"{worst!r} (tolerance {tolerance:.0e} for {trained_precision}); the export was not written"
        )
    return {"trained": trained_precision, "exported": "float32", "images": n, "tolerance": tolerance,
            "max_abs_diff": diffs}


def keras_probabilities(model, images: np.ndarray) -> dict[str, np.ndarray]:
    """The model called directly (no XLA, as the exported graphs run), not `predict_on_batch`, which compiles
    with XLA on a GPU and so computes through other kernels than the export it is compared with."""
    out = model(images, training=False)
    return {k: np.asarray(v, np.float32) for k, v in out.items()}
