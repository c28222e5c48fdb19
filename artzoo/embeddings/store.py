"""The embeddings file (.npz): float32 vectors, ids, paths, labels and class names, and how they were made.

Everything is stored as plain arrays (no pickles), so `np.load(path)` reads it anywhere. `meta` is a JSON
string: backbone, weights, preprocessing, image size, resize mode, attention, model file, source, counts,
and the content key that decides whether a re-run can reuse the file.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from artzoo import atomic
from artzoo.errors import ArtzooError

FORMAT = "artzoo-embeddings-v1"


@dataclass
class EmbeddingSet:
    embeddings: np.ndarray  # (n, d) float32
    ids: list[str]
    paths: list[str]
    labels: np.ndarray  # (n,) int32, -1 where unknown
    splits: list[str]
    class_names: list[str]
    meta: dict = field(default_factory=dict)

    def __post_init__(self):
        self.embeddings = np.asarray(self.embeddings, dtype=np.float32)
        self.labels = np.asarray(self.labels, dtype=np.int32)
        n = len(self.embeddings)
        if not (len(self.ids) == len(self.paths) == len(self.labels) == len(self.splits) == n):
            raise ValueError("embeddings, ids, paths, labels and splits differ in length")

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def labelled(self) -> bool:
        return bool(self.class_names) and bool((self.labels >= 0).any())

    @property
    def content_key(self) -> str:
        return self.meta.get("content_key", "")


def save_embeddings(emb: EmbeddingSet, path: str | Path) -> Path:
    """Writes the set atomically (a crash never leaves a half-written file that a re-run would trust)."""
    path = Path(path)
    if path.suffix != ".npz":
        raise ArtzooError(f"embeddings file {str(path)!r} must end in .npz")
    buffer = io.BytesIO()
    np.savez(
        buffer,
        format=np.array(FORMAT),
        embeddings=emb.embeddings,
        ids=np.array(emb.ids, dtype=str),
        paths=np.array(emb.paths, dtype=str),
        labels=emb.labels,
        splits=np.array(emb.splits, dtype=str),
        class_names=np.array(emb.class_names, dtype=str),
        meta=np.array(json.dumps(emb.meta, sort_keys=True)),
    )
    atomic.write_bytes(path, buffer.getvalue())
    return path


def load_embeddings(path: str | Path) -> EmbeddingSet:
    path = Path(path)
    if not path.is_file():
        raise ArtzooError(f"embeddings file {str(path)!r} does not exist; make one with `artzoo embed`")
    try:
        with np.load(path, allow_pickle=False) as data:
            if "format" not in data or str(data["format"]) != FORMAT:
                raise ArtzooError(f"{str(path)!r} is not an artzoo embeddings file (expected format {FORMAT})")
            return EmbeddingSet(
                embeddings=data["embeddings"],
                ids=data["ids"].tolist(),
                paths=data["paths"].tolist(),
                labels=data["labels"],
                splits=data["splits"].tolist(),
                class_names=data["class_names"].tolist(),
                meta=json.loads(str(data["meta"])),
            )
    except (OSError, ValueError, KeyError) as err:
        raise ArtzooError(f"embeddings file {str(path)!r} cannot be read: {err}") from None


def read_content_key(path: str | Path) -> str:
    """The content key of an existing embeddings file, or "" when there is none or it is unreadable."""
    path = Path(path)
    if not path.is_file():
        return ""
    try:
        with np.load(path, allow_pickle=False) as data:
            return json.loads(str(data["meta"])).get("content_key", "")
    except Exception:  # noqa: BLE001 - an unreadable old file is simply not a cache hit
        return ""
