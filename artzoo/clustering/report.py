"""Writes a clustering to a folder: clusters.csv, metrics.json and plots/ (all saves atomic).

clusters.csv has one row per item: id, path, split, label, cluster, distance to its cluster centre, and
for GMM the confidence (largest responsibility) and the top influences (`cluster:responsibility`).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np

from artzoo import atomic
from artzoo.clustering import plots as cluster_plots
from artzoo.clustering.clusterer import clusterer_from, save_clusterer
from artzoo.clustering.html import write_clusters_html
from artzoo.clustering.projector import write_projector
from artzoo.clustering.run import ClusterOutcome, ClusterSettings, settings_dict
from artzoo.embeddings.store import EmbeddingSet, load_embeddings
from artzoo.errors import ArtzooError

TOP_INFLUENCES = 3


def load_views(spec: str, emb: EmbeddingSet) -> np.ndarray:
    """(v, n, d) from comma-separated embeddings files whose ids are `emb`'s, in the same order."""
    views = []
    for path in [p for p in spec.split(",") if p]:
        view = load_embeddings(path)
        if view.ids != emb.ids or view.embeddings.shape != emb.embeddings.shape:
            raise ArtzooError(f"views file {path!r} does not hold the same items as the embeddings "
                              f"({len(view)} x {view.embeddings.shape[1]} against {len(emb)} x "
                              f"{emb.embeddings.shape[1]}, or other ids)")
        views.append(view.embeddings)
    return np.stack(views)


def write_report(emb: EmbeddingSet, outcome: ClusterOutcome, settings: ClusterSettings, out_dir: str | Path,
                 map_method: str = "pca", gallery_size: int = 8, source: str = "", projector: bool = False) -> dict:
    """clusters.csv, plots/, clusters.html, the saved clusterer, metrics.json (and projector/ when asked)."""
    out = Path(out_dir)
    (out / "plots").mkdir(parents=True, exist_ok=True)
    distances = distance_to_centre(outcome.features, outcome.result)
    atomic.write_text(out / "clusters.csv", clusters_csv(emb, outcome, distances))
    metrics = metrics_dict(emb, outcome, settings, source)
    metrics["plots"] = write_plots(emb, outcome, distances, out / "plots", map_method, gallery_size, settings.seed,
                                   metrics)
    metrics["html"] = str(write_clusters_html(emb, outcome, distances, metrics, out / "clusters.html"))
    clusterer = clusterer_from(outcome, emb, settings_dict(settings))
    save_clusterer(clusterer, out)
    if projector:
        soft = outcome.result.responsibilities
        metrics["projector"] = str(write_projector(emb, outcome.result.labels, None if soft is None else soft.max(1),
                                                   clusterer.cluster_names, out / "projector"))
    atomic.write_json(out / "metrics.json", metrics)
    return metrics


def distance_to_centre(x: np.ndarray, result) -> np.ndarray:
    """Euclidean distance of each item to its cluster's centre (mean of members where no centres); NaN for noise."""
    labels = result.labels
    out = np.full(len(labels), np.nan, dtype=np.float64)
    for c in np.unique(labels):
        if c < 0:
            continue
        members = labels == c
        centre = result.centers[c] if result.centers is not None else x[members].mean(axis=0)
        out[members] = np.linalg.norm(x[members] - centre, axis=1)
    return out


def influences(responsibilities: np.ndarray, i: int, top: int = TOP_INFLUENCES) -> str:
    best = np.argsort(responsibilities[i])[::-1][:top]
    return " ".join(f"{c}:{responsibilities[i][c]:.3f}" for c in best if responsibilities[i][c] >= 0.001)


def clusters_csv(emb: EmbeddingSet, outcome: ClusterOutcome, distances: np.ndarray) -> str:
    result = outcome.result
    soft = result.responsibilities
    header = ["id", "path", "split", "label", "cluster", "distance"] + (["confidence", "influences"] if soft is
                                                                      not None else [])
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for i in range(len(emb)):
        label = emb.class_names[emb.labels[i]] if emb.labels[i] >= 0 and emb.class_names else ""
        row = [emb.ids[i], emb.paths[i], emb.splits[i], label, int(result.labels[i]),
               "" if np.isnan(distances[i]) else f"{distances[i]:.5f}"]
        if soft is not None:
            row += [f"{soft[i].max():.4f}", influences(soft, i)]
        writer.writerow(row)
    return buffer.getvalue()


def metrics_dict(emb: EmbeddingSet, outcome: ClusterOutcome, settings: ClusterSettings, source: str) -> dict:
    result = outcome.result
    sizes = {str(c): int(n) for c, n in zip(*np.unique(result.labels, return_counts=True))}
    metrics = {
        "embeddings": source,
        "embedding_meta": {k: v for k, v in emb.meta.items() if k != "quarantined"},
        "n": len(emb),
        "method": result.method,
        "settings": settings_dict(settings),
        "features": outcome.preparation,
        "k": result.n_clusters,
        "cluster_sizes": sizes,
        "method_info": {k: v for k, v in result.info.items() if k != "k_distance"},
        "scores": outcome.scores,
        "seconds": outcome.seconds,
    }
    if result.inertia is not None:
        metrics["inertia"] = result.inertia
    if outcome.choice is not None:
        metrics["k_choice"] = outcome.choice.as_dict()
    if result.responsibilities is not None:
        top = result.responsibilities.max(axis=1)
        metrics["soft"] = {"mean_confidence": float(top.mean()), "mixed_items_below_0.9": int((top < 0.9).sum()),
                           "responsibility_row_sum_max_error": float(np.abs(result.responsibilities.sum(1) - 1).max())}
    return metrics


def write_plots(emb: EmbeddingSet, outcome: ClusterOutcome, distances: np.ndarray, plots: Path, map_method: str,
                gallery_size: int, seed: int, metrics: dict) -> dict:
    result = outcome.result
    written, skipped = {}, {}
    titles = _cluster_titles(outcome)
    if outcome.choice is not None:
        written["scores_by_k"] = cluster_plots.score_curves(outcome.choice.table, outcome.choice.votes,
                                                            outcome.choice.k, plots / "scores_by_k.png")
    if result.method == "dbscan" and result.info.get("k_distance"):
        info = result.info
        written["k_distance"] = cluster_plots.k_distance(info["k_distance"], info["eps"], info["eps_suggested"],
                                                         info["min_samples"], plots / "k_distance.png")
    written["map"] = cluster_plots.cluster_map(outcome.features, result.labels, plots / f"map_{map_method}.png",
                                               map_method, seed, emb.labels, emb.class_names)
    external = outcome.scores.get("external")
    if external:
        written["label_distribution"] = cluster_plots.label_distribution(
            external["class_counts"], external["class_names"], plots / "label_distribution.png")
    if all(emb.paths):
        order = np.argsort(np.nan_to_num(distances, nan=np.inf), kind="stable")
        captions = [emb.class_names[y] if y >= 0 and emb.class_names else "" for y in emb.labels]
        written["gallery"] = cluster_plots.cluster_gallery(emb.paths, result.labels, order, plots / "gallery.png",
                                                           gallery_size, captions, titles)
        if result.responsibilities is not None:
            mixed = np.argsort(result.responsibilities.max(axis=1), kind="stable")[:4]
            written["gmm_influences"] = cluster_plots.gmm_influences(emb.paths, result.responsibilities, mixed,
                                                                     plots / "gmm_influences.png", titles)
    else:
        skipped["gallery"] = "the embeddings come from a TFDS dataset: its images have no file paths"
    if skipped:
        metrics["plots_skipped"] = skipped
    return {name: str(path) for name, path in written.items()}


def _cluster_titles(outcome: ClusterOutcome) -> dict:
    """Cluster -> its majority class (when labels are known), for plot captions."""
    external = outcome.scores.get("external")
    if not external:
        return {}
    names = external["class_names"]
    return {int(c): names[int(np.argmax(v))] for c, v in external["class_counts"].items() if int(c) >= 0}
