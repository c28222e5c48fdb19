"""A fitted clusterer on disk, reusable to assign new works: safe formats only (no pickle).

    OUT/clusterer.json   method, k, settings, the embedder that made the vectors (its meta), cluster names
    OUT/clusterer.npz    arrays (np.load with allow_pickle=False): the feature preparation (L2 / PCA / KernelPCA),
                         the centres, and per method what assigning needs (GMM parameters, DBSCAN core points,
                         HDBSCAN's fitted items)
    OUT/scan_head.keras  SCAN's clustering head (loads with safe_mode=True, core layers only)
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import numpy as np

from artzoo import atomic
from artzoo.errors import ArtzooError

FORMAT = "artzoo-clusterer-v1"
JSON_FILE, ARRAYS_FILE, HEAD_FILE = "clusterer.json", "clusterer.npz", "scan_head.keras"


@dataclass
class Clusterer:
    method: str
    k: int  # clusters found (noise excluded)
    preparation: dict  # arrays of `fit_preparation`
    state: dict  # arrays of the method (centers, GMM parameters, core points, ...)
    embedder: dict  # the embeddings' meta: backbone, weights, image size, resize, ...
    cluster_names: dict = field(default_factory=dict)  # cluster id -> majority class, when labels were known
    settings: dict = field(default_factory=dict)
    n_fit: int = 0
    head: Any = None  # SCAN: keras.Model


def clusterer_from(outcome, emb, settings_dict: dict) -> Clusterer:
    """The fitted clusterer of a `ClusterOutcome` over the embeddings set `emb`."""
    result = outcome.result
    state = dict(result.state)
    if result.centers is not None:
        state["centers"] = np.asarray(result.centers, dtype=np.float32)
    external = outcome.scores.get("external") or {}
    names = external.get("class_names", [])
    cluster_names = {int(c): names[int(np.argmax(v))] for c, v in external.get("class_counts", {}).items()
                     if int(c) >= 0 and sum(v)}
    meta = {key: value for key, value in emb.meta.items() if key not in ("quarantined",)}
    meta.setdefault("dims", int(emb.embeddings.shape[1]))  # plain arrays have no embedder meta
    return Clusterer(result.method, int(result.n_clusters), dict(result.transform), state, meta, cluster_names,
                     settings_dict, len(emb), result.head)


def save_clusterer(clusterer: Clusterer, out_dir: str | Path) -> Path:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    arrays = {f"prep__{k}": np.asarray(v) for k, v in clusterer.preparation.items()}
    arrays.update({f"fit__{k}": np.asarray(v) for k, v in clusterer.state.items()})
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    atomic.write_bytes(out / ARRAYS_FILE, buffer.getvalue())
    if clusterer.head is not None:
        with atomic.replacing(out / HEAD_FILE) as tmp:
            clusterer.head.save(tmp)
    doc = {"format": FORMAT, "method": clusterer.method, "k": clusterer.k, "n_fit": clusterer.n_fit,
           "settings": clusterer.settings, "embedder": clusterer.embedder,
           "cluster_names": {str(c): n for c, n in clusterer.cluster_names.items()},
           "files": {"arrays": ARRAYS_FILE, "head": HEAD_FILE if clusterer.head is not None else None}}
    atomic.write_json(out / JSON_FILE, doc)  # last: a folder with clusterer.json is complete
    return out


def load_clusterer(path: str | Path) -> Clusterer:
    """Loads OUT (or OUT/clusterer.json) written by `save_clusterer`."""
    path = Path(path)
    folder = path.parent if path.name == JSON_FILE else path
    doc_path = folder / JSON_FILE
    if not doc_path.is_file():
        raise ArtzooError(f"{str(path)!r} holds no {JSON_FILE}; it must be an output folder of `artzoo cluster`")
    try:
        doc = json.loads(doc_path.read_text())
    except ValueError as err:
        raise ArtzooError(f"{str(doc_path)!r} cannot be read: {err}") from None
    if doc.get("format") != FORMAT:
        raise ArtzooError(f"{str(doc_path)!r} is not an artzoo clusterer (expected format {FORMAT})")
    try:
        with np.load(folder / ARRAYS_FILE, allow_pickle=False) as data:
            arrays = {name: data[name] for name in data.files}
    except (OSError, ValueError) as err:
        raise ArtzooError(f"{str(folder / ARRAYS_FILE)!r} cannot be read: {err}") from None
    head = _load_head(folder / doc["files"]["head"]) if doc["files"].get("head") else None
    return Clusterer(doc["method"], int(doc["k"]),
                     {k[len("prep__"):]: v for k, v in arrays.items() if k.startswith("prep__")},
                     {k[len("fit__"):]: v for k, v in arrays.items() if k.startswith("fit__")},
                     doc["embedder"], {int(c): n for c, n in doc.get("cluster_names", {}).items()},
                     doc.get("settings", {}), int(doc.get("n_fit", 0)), head)


def _load_head(path: Path) -> Optional[Any]:
    import keras

    if not path.is_file():
        raise ArtzooError(f"the SCAN head {str(path)!r} is missing")
    return keras.models.load_model(path, safe_mode=True, compile=False)
