"""Matplotlib (Agg) figures for clustering and retrieval: score curves over k, the k-distance curve, a 2-D map,
galleries per cluster, label distribution per cluster, GMM influences per work, similar-work galleries."""

from __future__ import annotations

from pathlib import Path
from typing import Optional, Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image, ImageOps  # noqa: E402

THUMB = 128


def _save(fig, out: Path) -> Path:
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.stem}.tmp{out.suffix}")
    fig.savefig(tmp, dpi=100)
    plt.close(fig)
    tmp.replace(out)  # atomic: a crash never leaves half a PNG under the final name
    return out


def thumbnail(path: str, size: int = THUMB) -> np.ndarray:
    """A square-padded RGB thumbnail (EXIF orientation applied); grey when the file cannot be read."""
    try:
        with Image.open(path) as image:
            image = ImageOps.exif_transpose(image).convert("RGB")
            image.thumbnail((size, size))
            canvas = Image.new("RGB", (size, size), (255, 255, 255))
            canvas.paste(image, ((size - image.width) // 2, (size - image.height) // 2))
            return np.asarray(canvas)
    except Exception:  # noqa: BLE001 - a figure never fails on one unreadable file
        return np.full((size, size, 3), 200, dtype=np.uint8)


def score_curves(table: Sequence[dict], votes: dict, chosen: int, out: Path) -> Path:
    """Within-cluster SS (elbow), silhouette, Davies-Bouldin and Calinski-Harabasz against k."""
    ks = [r["k"] for r in table]
    panels = (("wcss", "elbow", "within-cluster SS (elbow)"), ("silhouette", "silhouette", "silhouette (high)"),
              ("davies_bouldin", "davies_bouldin", "Davies-Bouldin (low)"),
              ("calinski_harabasz", "calinski_harabasz", "Calinski-Harabasz (high)"))
    fig, axes = plt.subplots(1, 4, figsize=(16, 3.6))
    for ax, (key, vote, title) in zip(axes, panels):
        values = [np.nan if r[key] is None else r[key] for r in table]
        ax.plot(ks, values, "o-")
        ax.axvline(votes[vote], color="tab:orange", ls="--", lw=1, label=f"prefers k={votes[vote]}")
        ax.axvline(chosen, color="tab:red", lw=1.5, alpha=0.5, label=f"chosen k={chosen}")
        ax.set_xlabel("k")
        ax.set_title(title)
        ax.legend(fontsize=7)
    fig.tight_layout()
    return _save(fig, out)


def k_distance(curve: Sequence[float], eps: float, suggested: float, min_samples: int, out: Path) -> Path:
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(np.arange(len(curve)), curve)
    ax.axhline(suggested, color="tab:orange", ls="--", label=f"knee: eps {suggested:.3g}")
    if eps != suggested:
        ax.axhline(eps, color="tab:red", label=f"used: eps {eps:.3g}")
    ax.set_xlabel("items, sorted")
    ax.set_ylabel(f"distance to neighbour {min_samples} (self counted)")
    ax.set_title("DBSCAN k-distance curve")
    ax.legend()
    fig.tight_layout()
    return _save(fig, out)


def cluster_map(features: np.ndarray, clusters: np.ndarray, out: Path, method: str = "pca", seed: int = 0,
                labels: Optional[np.ndarray] = None, class_names: Sequence[str] = (), max_points: int = 5000) -> Path:
    """2-D PCA or t-SNE map coloured by cluster (and, beside it, by true class when known)."""
    rng = np.random.default_rng(seed)
    idx = np.sort(rng.choice(len(features), max_points, replace=False)) if len(features) > max_points else \
        np.arange(len(features))
    xy = _project(features[idx], method, seed)
    with_labels = labels is not None and len(class_names) and (labels[idx] >= 0).any()
    fig, axes = plt.subplots(1, 2 if with_labels else 1, figsize=(13 if with_labels else 7, 6), squeeze=False)
    colours, names = {}, {}
    if with_labels:  # a cluster takes the colour of the class it is matched to, so equal colours mean agreement
        from artzoo.clustering.scores import hungarian_mapping

        known = labels >= 0
        colours = hungarian_mapping(labels[known], clusters[known])
        names = {c: f"cluster {c} ~ {class_names[k]}" for c, k in colours.items()}
    _scatter(axes[0][0], xy, clusters[idx], f"clusters ({method.upper()} map, {len(idx)} items)",
             lambda c: names.get(c, f"cluster {c}" if c >= 0 else "noise"),
             lambda c: colours.get(c, len(class_names) + c))
    if with_labels:
        _scatter(axes[0][1], xy, labels[idx], "true classes",
                 lambda v: class_names[v] if v >= 0 else "unknown", lambda v: v)
    fig.tight_layout()
    return _save(fig, out)


def _project(x: np.ndarray, method: str, seed: int) -> np.ndarray:
    from sklearn.decomposition import PCA

    if method == "tsne" and len(x) > 5:
        from sklearn.manifold import TSNE

        reduced = PCA(n_components=min(50, *x.shape), random_state=seed).fit_transform(x)
        return TSNE(n_components=2, init="pca", perplexity=min(30.0, (len(x) - 1) / 3), random_state=seed
                    ).fit_transform(reduced)
    return PCA(n_components=2, random_state=seed).fit_transform(x)


def _scatter(ax, xy, values, title, name_of, colour_index_of):
    cmap = plt.get_cmap("tab20")
    for v in np.unique(values):
        sel = values == v
        color = (0.6, 0.6, 0.6, 0.5) if v < 0 else cmap(int(colour_index_of(int(v))) % 20)
        ax.scatter(xy[sel, 0], xy[sel, 1], s=8, color=color, label=f"{name_of(int(v))} ({sel.sum()})")
    ax.set_title(title)
    ax.legend(fontsize=7, markerscale=2, loc="best", ncol=1 + len(np.unique(values)) // 12)


def cluster_gallery(paths: Sequence[str], clusters: np.ndarray, order: np.ndarray, out: Path,
                    per_cluster: int = 8, captions: Optional[Sequence[str]] = None,
                    titles: Optional[dict] = None, max_clusters: int = 20) -> Path:
    """One row per cluster: its `per_cluster` most typical images (first in `order`), captioned."""
    ids = [c for c in np.unique(clusters) if c >= 0][:max_clusters]
    fig, axes = plt.subplots(len(ids), per_cluster, figsize=(1.6 * per_cluster, 1.9 * len(ids)), squeeze=False)
    for row, c in enumerate(ids):
        members = [i for i in order if clusters[i] == c][:per_cluster]
        for col in range(per_cluster):
            ax = axes[row][col]
            ax.axis("off")
            if col < len(members):
                ax.imshow(thumbnail(paths[members[col]]))
                if captions is not None:
                    ax.set_title(captions[members[col]], fontsize=7)
        label = (titles or {}).get(int(c), "")
        axes[row][0].text(-0.1, 0.5, f"{c}\n{label}", transform=axes[row][0].transAxes, ha="right", va="center",
                          fontsize=9)
    fig.tight_layout()
    return _save(fig, out)


def label_distribution(class_counts: dict, class_names: Sequence[str], out: Path) -> Path:
    """Stacked bars: how each cluster's items split over the true classes."""
    clusters = sorted(class_counts, key=int)
    counts = np.array([class_counts[c] for c in clusters], dtype=float)
    fig, ax = plt.subplots(figsize=(max(6, 0.7 * len(clusters) + 3), 4.5))
    bottom = np.zeros(len(clusters))
    cmap = plt.get_cmap("tab20")
    for j, name in enumerate(class_names):
        ax.bar(clusters, counts[:, j], bottom=bottom, color=cmap(j % 20), label=name)
        bottom += counts[:, j]
    ax.set_xlabel("cluster")
    ax.set_ylabel("items")
    ax.set_title("true classes within each cluster")
    ax.legend(fontsize=8, bbox_to_anchor=(1.01, 1), loc="upper left")
    fig.tight_layout()
    return _save(fig, out)


def gmm_influences(paths: Sequence[str], responsibilities: np.ndarray, works: Sequence[int], out: Path,
                   cluster_titles: Optional[dict] = None, top: int = 3) -> Path:
    """For each chosen work: the image and its `top` clusters by responsibility (its soft 'influences')."""
    fig, axes = plt.subplots(len(works), 2, figsize=(8, 2.4 * len(works)), squeeze=False,
                             gridspec_kw={"width_ratios": [1, 2]})
    for row, i in enumerate(works):
        axes[row][0].imshow(thumbnail(paths[i]) if paths[i] else np.full((THUMB, THUMB, 3), 200, np.uint8))
        axes[row][0].axis("off")
        best = np.argsort(responsibilities[i])[::-1][:top]
        names = [f"cluster {c}" + (f" ({cluster_titles[int(c)]})" if cluster_titles and int(c) in cluster_titles
                                   else "") for c in best]
        axes[row][1].barh(names[::-1], responsibilities[i][best][::-1], color="tab:purple")
        axes[row][1].set_xlim(0, 1)
        axes[row][1].set_title(Path(paths[i]).name if paths[i] else f"item {i}", fontsize=8)
    fig.suptitle("GMM responsibilities: the clusters each work draws on")
    fig.tight_layout()
    return _save(fig, out)


def similar_gallery(query_path: str, hits: Sequence[dict], out: Path) -> Path:
    """The query, then its nearest works with their cosine similarity."""
    fig, axes = plt.subplots(1, len(hits) + 1, figsize=(1.9 * (len(hits) + 1), 2.5), squeeze=False)
    axes[0][0].imshow(thumbnail(query_path))
    axes[0][0].set_title("query", fontsize=8)
    for ax, hit in zip(axes[0][1:], hits):
        ax.imshow(thumbnail(hit["path"]) if hit["path"] else np.full((THUMB, THUMB, 3), 200, np.uint8))
        ax.set_title(f"{hit['rank']}. {hit['score']:.3f}\n{Path(hit['id']).name[:18]}", fontsize=7)
    for ax in axes[0]:
        ax.axis("off")
    fig.tight_layout()
    return _save(fig, out)


def pseudo_label_rounds(rows: Sequence[dict], out: Path) -> Path:
    """Scores per round of the pseudo-label loop (cluster accuracy, NMI, ARI, classifier accuracy, ...)."""
    keys = [k for k in ("accuracy", "nmi", "ari", "classifier_accuracy", "kept_label_precision", "silhouette")
            if any(k in r for r in rows)]
    fig, ax = plt.subplots(figsize=(7, 4))
    rounds = [r["round"] for r in rows]
    for key in keys:
        ax.plot(rounds, [r.get(key, np.nan) for r in rows], "o-", label=key)
    ax.set_xticks(rounds)
    ax.set_xlabel("round (0 = before any fine-tuning)")
    ax.set_title("pseudo-label loop")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return _save(fig, out)
