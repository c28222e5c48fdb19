"""Assigning new works to saved clusters: embed them with the clusterer's own embedder, replay its feature
preparation, and place them as the method would.

- kmeans++, minibatch, agglomerative: the nearest centre (for agglomerative the centre is its members' mean);
- gmm: the responsibilities of the saved mixture (soft);
- scan: the saved head's probabilities (soft);
- dbscan: the cluster of the nearest core point within eps, else noise (-1), as DBSCAN itself decides;
- hdbscan: the cluster of the nearest fitted item (noise if that item is noise), with its membership strength.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence

import numpy as np
from scipy.spatial.distance import cdist

from artzoo.clustering.clusterer import Clusterer
from artzoo.clustering.reduce import apply_preparation
from artzoo.errors import ArtzooError


@dataclass
class Assignment:
    labels: np.ndarray  # (n,) cluster id, -1 noise
    probs: Optional[np.ndarray] = None  # (n, k) for gmm and scan
    distance: Optional[np.ndarray] = None  # to the centre / core point / fitted item
    membership: Optional[np.ndarray] = None  # hdbscan


def assign_vectors(clusterer: Clusterer, embeddings: np.ndarray) -> Assignment:
    """Assigns raw embedding vectors (as `artzoo embed` wrote them) to the clusters."""
    x = apply_preparation(embeddings, clusterer.preparation)
    state, method = clusterer.state, clusterer.method
    if method == "scan":
        from artzoo.clustering.scan_head import predict_probs

        probs = predict_probs(clusterer.head, x)[:, 0]
        return Assignment(probs.argmax(axis=1), probs)
    if method == "gmm":
        probs = _gmm(clusterer).predict_proba(x.astype(np.float64))
        return Assignment(probs.argmax(axis=1), probs)
    if method == "dbscan":
        d = cdist(x, state["core_vectors"])
        nearest = d.argmin(axis=1)
        within = d[np.arange(len(x)), nearest] <= float(state["eps"])
        return Assignment(np.where(within, state["core_labels"][nearest], -1), distance=d.min(axis=1))
    if method == "hdbscan":
        d = cdist(x, state["fit_vectors"])
        nearest = d.argmin(axis=1)
        return Assignment(state["fit_labels"][nearest], distance=d.min(axis=1), membership=state["membership"][nearest])
    d = cdist(x, state["centers"])
    return Assignment(d.argmin(axis=1), distance=d.min(axis=1))


def _gmm(clusterer: Clusterer):
    from sklearn.mixture import GaussianMixture

    s = clusterer.state
    model = GaussianMixture(n_components=len(s["weights"]), covariance_type=clusterer.settings.get(
        "method_settings", {}).get("covariance", "diag"))
    model.weights_, model.means_, model.covariances_ = s["weights"], s["means"], s["covariances"]
    model.precisions_cholesky_ = s["precisions_cholesky"]
    return model


def embed_inputs(clusterer: Clusterer, inputs: Sequence[str]):
    """The vectors of image files and folders (each folder: all its images), embedded as the clusters were.

    Returns (vectors, ids, paths)."""
    from artzoo.embeddings.extractor import build_embedder, embed_collection
    from artzoo.embeddings.images import files_collection, folder_collection
    from artzoo.similar_works import embedder_from_meta

    if not inputs:
        raise ArtzooError("give at least one image or folder to assign")
    files = [p for p in inputs if not Path(p).is_dir()]
    collections = [folder_collection(p) for p in inputs if Path(p).is_dir()]
    if files:
        collections.insert(0, files_collection(files))
    model, description = build_embedder(embedder_from_meta(clusterer.embedder))
    dims = clusterer.embedder.get("dims")
    if dims is not None and description["dims"] != dims:
        raise ArtzooError(f"the rebuilt embedder gives {description['dims']} dims but the clusters were made on {dims}")
    vectors, ids, paths = [], [], []
    for c in collections:
        vectors.append(embed_collection(model, c, description["image_size"], description["resize"],
                                        int(clusterer.embedder.get("batch_size", 32)), what="assign embed",
                                        decode=description.get("decode", "full")))
        ids += c.ids
        paths += c.paths
    return np.concatenate(vectors), ids, paths


def assign_images(clusterer: Clusterer, inputs: Sequence[str]) -> list[dict]:
    """One row per image: id, path, cluster, its name (majority class at fit time), probability or distance."""
    vectors, ids, paths = embed_inputs(clusterer, inputs)
    return assignment_rows(clusterer, assign_vectors(clusterer, vectors), ids, paths)


def assignment_rows(clusterer: Clusterer, a: Assignment, ids: Sequence[str], paths: Sequence[str]) -> list[dict]:
    """One dict per item: id, path, cluster, cluster_name, and probability/top, distance, membership if known."""
    rows = []
    for i, (name, path) in enumerate(zip(ids, paths)):
        c = int(a.labels[i])
        row = {"id": name, "path": path, "cluster": c, "cluster_name": clusterer.cluster_names.get(c, "")}
        if a.probs is not None:
            top = np.argsort(a.probs[i])[::-1][:3]
            row["probability"] = round(float(a.probs[i, c]), 4)
            row["top"] = {int(t): round(float(a.probs[i, t]), 4) for t in top}
        if a.distance is not None:
            row["distance"] = round(float(a.distance[i]), 5)
        if a.membership is not None:
            row["membership"] = round(float(a.membership[i]), 4)
        rows.append(row)
    return rows


def assign_to_saved(clusters_dir, inputs, out_csv: Optional[str] = None) -> dict:
    """Loads the clusterer saved in `clusters_dir` and assigns `inputs`: image files and folders, or raw embedding
    vectors ((n, d) array or an `EmbeddingSet`, made by the clusterer's embedder). Writes `out_csv` when given.

    Returns {"method", "k", "assignments": [row, ...]} (rows: see `assignment_rows`)."""
    from artzoo.clustering.clusterer import load_clusterer

    clusterer = load_clusterer(clusters_dir)
    if isinstance(inputs, (str, Path)):
        inputs = [str(inputs)]
    if isinstance(inputs, np.ndarray) or hasattr(inputs, "embeddings"):
        vectors = np.asarray(getattr(inputs, "embeddings", inputs), dtype=np.float32)
        dims = clusterer.embedder.get("dims")
        if vectors.ndim != 2 or (dims is not None and vectors.shape[1] != dims):
            raise ArtzooError(f"vectors to assign have shape {vectors.shape}; the clusters were made on "
                              f"(n, {dims}) embeddings")
        ids = list(getattr(inputs, "ids", [str(i) for i in range(len(vectors))]))
        paths = list(getattr(inputs, "paths", [""] * len(vectors)))
        rows = assignment_rows(clusterer, assign_vectors(clusterer, vectors), ids, paths)
    else:
        rows = assign_images(clusterer, [str(p) for p in inputs])
    if out_csv:
        _write_assignments_csv(rows, out_csv)
    return {"method": clusterer.method, "k": clusterer.k, "assignments": rows}


def _write_assignments_csv(rows: list[dict], out_csv) -> None:
    import csv
    import io

    from artzoo import atomic

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["id", "path", "cluster", "cluster_name", "probability", "distance", "membership"])
    for r in rows:
        writer.writerow([r["id"], r["path"], r["cluster"], r["cluster_name"], r.get("probability", ""),
                         r.get("distance", ""), r.get("membership", "")])
    atomic.write_text(out_csv, buffer.getvalue())


def assignments_text(result: dict, out_csv: Optional[str] = None, as_json: bool = False) -> str:
    """What `artzoo cluster assign` prints for `assign_to_saved`'s result."""
    import json

    if as_json:
        return json.dumps(result, indent=1)
    lines = []
    for r in result["assignments"]:
        name = f" ({r['cluster_name']})" if r["cluster_name"] else ""
        extra = (f"  p={r['probability']:.3f}" if "probability" in r else "") + \
                (f"  distance={r['distance']:.4g}" if "distance" in r else "")
        lines.append(f"{r['id']}: cluster {r['cluster']}{name}{extra}")
    if out_csv:
        lines.append(f"wrote {out_csv}")
    return "\n".join(lines)
