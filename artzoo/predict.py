"""Top-k predictions for image files from any artzoo export (SavedModel, .keras, TFLite, ONNX).

A batch the model rejects is retried image by image, so one bad file is reported (with the model's own
message) and counted instead of failing or silently dropping the others.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional, Sequence

import numpy as np

from artzoo.errors import ArtzooError
from artzoo.exported_model import ExportedModel, RejectedImages, open_exported

BATCH_SIZE = 32


def predict_files(model_path: str | Path, images: Sequence[str], top_k: Optional[int] = None,
                  batch_size: int = BATCH_SIZE, tta: str = "none") -> list[dict]:
    """One dict per image: `{"image": path, head: [{"label", "probability"[, "positive"]}, ...]}`, or
    `{"image": path, "error": message}` for an image the model rejected. `tta` ("flip", "crops") averages
    each image's test-time views (`artzoo.models.tta`)."""
    for image in images:
        if not Path(image).is_file():
            raise ArtzooError(f"image {image!r} does not exist")
    model = open_exported(model_path, tta)
    _check_top_k(model, top_k)
    results = []
    for start in range(0, len(images), batch_size):
        paths = [str(p) for p in images[start:start + batch_size]]
        data = [Path(p).read_bytes() for p in paths]
        try:
            results += _entries(model, paths, model.outputs(data), top_k)
        except RejectedImages:
            for path, one in zip(paths, data):
                try:
                    results += _entries(model, [path], model.outputs([one]), top_k)
                except RejectedImages as err:
                    results.append({"image": path, "error": str(err).replace("image_bytes[0]: ", "")})
    return results


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
