"""Top-k predictions from an exported SavedModel, with TensorFlow alone (labels travel inside the export)."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np
import tensorflow as tf

from artzoo.errors import ArtzooError


def resolve_saved_model(path: str | Path) -> Path:
    """A version directory, or the latest numeric version under a TF Serving model directory."""
    path = Path(path)
    if (path / "saved_model.pb").is_file():
        return path
    versions = sorted((int(p.name) for p in path.glob("*") if p.name.isdigit() and (p / "saved_model.pb").is_file()))
    if not versions:
        raise ArtzooError(f"model {str(path)!r} is not a SavedModel directory (no saved_model.pb, no version folders)")
    return path / str(versions[-1])


def predict_files(model_path: str | Path, images: Sequence[str], top_k: int | None = None) -> list[dict]:
    """Runs `serving_default` on the files' bytes; returns one dict per image: {head: [(label, prob), ...]}."""
    for image in images:
        if not Path(image).is_file():
            raise ArtzooError(f"image {image!r} does not exist")
    loaded = tf.saved_model.load(str(resolve_saved_model(model_path)))
    serve = loaded.signatures["serving_default"]
    data = tf.constant([Path(p).read_bytes() for p in images])
    try:
        out = {k: v.numpy() for k, v in serve(image_bytes=data).items()}
    except tf.errors.InvalidArgumentError as err:
        first = err.message.strip().splitlines()[0]
        raise ArtzooError(f"the model rejected the batch: {first}") from None
    heads = sorted({k[: -len("_probabilities")] for k in out if k.endswith("_probabilities")})
    results = []
    for i, image in enumerate(images):
        entry = {"image": str(image)}
        for head in heads:
            labels = [x.decode() for x in out[f"{head}_top_k_labels"][i]]
            scores = out[f"{head}_top_k_scores"][i].astype(np.float64)
            k = len(labels) if top_k is None else min(top_k, len(labels))
            entry[head] = [{"label": l, "probability": round(float(s), 6)} for l, s in zip(labels[:k], scores[:k])]
        results.append(entry)
    return results
