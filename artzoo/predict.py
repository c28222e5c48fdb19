"""Top-k predictions for images from any artzoo model (run directory, SavedModel, .keras, TFLite, ONNX);
`artzoo.load(path).predict(...)` and `artzoo predict` (through `predictor.predict_files`) both end here.

A batch the model rejects is retried image by image, so one bad file is reported (with the model's own
message) and counted instead of failing or silently dropping the others.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

import numpy as np

from artzoo.errors import ArtzooError
from artzoo.exported_model import ExportedModel, RejectedImages

BATCH_SIZE = 32


def predict_encoded(model: ExportedModel, names: list[str], data: list[bytes], top_k: Optional[int] = None,
                    batch_size: int = BATCH_SIZE) -> list[dict]:
    """`predict_files` on encoded images already in memory, `names` naming them in the results."""
    _check_top_k(model, top_k)
    results = []
    for start in range(0, len(data), batch_size):
        paths, batch = names[start:start + batch_size], data[start:start + batch_size]
        try:
            results += _entries(model, paths, model.outputs(batch), top_k)
        except RejectedImages:
            for path, one in zip(paths, batch):
                try:
                    results += _entries(model, [path], model.outputs([one]), top_k)
                except RejectedImages as err:
                    results.append({"image": path, "error": str(err).replace("image_bytes[0]: ", "")})
    return results


def check_image_path(image: str) -> None:
    """One line for a path that cannot be an image file: missing, a folder, unreadable."""
    path = Path(image)
    if path.is_dir():
        raise ArtzooError(f"image {image!r} is a folder, not an image file (pass the files, e.g. {image}/*.jpg)")
    if not path.is_file():
        raise ArtzooError(f"image {image!r} does not exist" if not path.exists() else
                          f"image {image!r} is not a regular file")
    if not os.access(path, os.R_OK):
        raise ArtzooError(f"image {image!r} cannot be read (permission denied)")


def _check_top_k(model: ExportedModel, top_k: Optional[int]) -> None:
    if top_k is None:
        return
    most = min(model.top_k.values())
    if not 1 <= top_k <= most:
        raise ArtzooError(f"--top-k {top_k} is out of range; this export ranks 1..{most} classes per head")


def _entries(model: ExportedModel, paths: list[str], out: dict[str, np.ndarray], top_k: Optional[int]) -> list[dict]:
    entries = []
    for i, path in enumerate(paths):
        entry: dict = {"image": path}
        for head, kind in model.heads:
            labels = [x.decode() for x in out[f"{head}_top_k_labels"][i]]
            ids = out[f"{head}_top_k_ids"][i]
            scores = out[f"{head}_top_k_scores"][i].astype(np.float64)
            k = len(labels) if top_k is None else top_k
            preds = [{"label": l, "probability": round(float(s), 6)} for l, s in zip(labels[:k], scores[:k])]
            if kind == "sigmoid":
                for pred, class_id in zip(preds, ids[:k]):
                    pred["positive"] = bool(out[f"{head}_decisions"][i][class_id])
            entry[head] = preds
        entries.append(entry)
    return entries
