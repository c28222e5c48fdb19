"""A TensorBoard projector export of a clustering: the vectors, one metadata row per item (id, label,
cluster, cluster's majority class, confidence) and a sprite of thumbnails, with projector_config.pbtxt.

    tensorboard --logdir OUT/projector     (then the "Projector" tab)

The vectors are written as TSV (`tensor_path`), so no checkpoint is needed; the sprite holds one thumbnail per
item in row-major order, at most 8192 px a side (TensorBoard's limit).
"""

from __future__ import annotations

import io
import math
from pathlib import Path
from typing import Optional

import numpy as np
from PIL import Image

from artzoo import atomic
from artzoo.clustering.plots import thumbnail

SPRITE_MAX = 8192


def _tsv_cell(value) -> str:
    return str(value).replace("\t", " ").replace("\n", " ")


def sprite_side(n: int, largest: int = 64) -> int:
    """The thumbnail side that fits `n` thumbnails in a square sprite of at most SPRITE_MAX px."""
    return max(1, min(largest, SPRITE_MAX // max(1, math.ceil(math.sqrt(n)))))


def write_projector(emb, labels: np.ndarray, confidence: Optional[np.ndarray], cluster_names: dict,
                    out_dir: Path) -> Path:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    atomic.write_text(out / "vectors.tsv", "\n".join("\t".join(f"{v:.6g}" for v in row) for row in emb.embeddings)
                      + "\n")
    header = ["id", "label", "cluster", "cluster_name", "confidence"]
    rows = ["\t".join(header)]
    for i in range(len(emb)):
        label = emb.class_names[emb.labels[i]] if emb.labels[i] >= 0 and emb.class_names else ""
        conf = "" if confidence is None else f"{confidence[i]:.4f}"
        c = int(labels[i])
        rows.append("\t".join(_tsv_cell(v) for v in (emb.ids[i], label, c, cluster_names.get(c, ""), conf)))
    atomic.write_text(out / "metadata.tsv", "\n".join(rows) + "\n")
    config = ['embeddings {', '  tensor_name: "artzoo"', '  tensor_path: "vectors.tsv"',
              '  metadata_path: "metadata.tsv"']
    if all(emb.paths):
        side = sprite_side(len(emb))
        _write_sprite(emb.paths, side, out / "sprite.png")
        config += ['  sprite {', '    image_path: "sprite.png"', f'    single_image_dim: {side}',
                   f'    single_image_dim: {side}', '  }']
    atomic.write_text(out / "projector_config.pbtxt", "\n".join(config + ["}"]) + "\n")
    return out


def _write_sprite(paths, side: int, out: Path) -> None:
    per_row = math.ceil(math.sqrt(len(paths)))
    sheet = Image.new("RGB", (per_row * side, per_row * side), (255, 255, 255))
    for i, path in enumerate(paths):
        sheet.paste(Image.fromarray(thumbnail(path, side)), ((i % per_row) * side, (i // per_row) * side))
    buffer = io.BytesIO()
    sheet.save(buffer, format="PNG")
    atomic.write_bytes(out, buffer.getvalue())
