"""clusters.html: one self-contained page to browse a clustering (no server, no scripts, no external files).

Per cluster: its size, majority class and purity when labels exist, a grid of its most typical members
(nearest its centre, or most probable for soft methods) and of its most uncertain ones (lowest probability, or
nearest/second-nearest centre distance ratio closest to 1), thumbnails inlined as base64 JPEG; above them the
scores, the 2-D map and the per-cluster label distribution from plots/.
"""

from __future__ import annotations

import base64
import io
from pathlib import Path
import numpy as np
from PIL import Image

from artzoo import atomic
from artzoo.clustering.plots import thumbnail
from artzoo.reporting.report_html import Figure, Section, esc, figure, render_page, table

THUMB = 96
MAX_CLUSTERS = 60


def uncertainty(x: np.ndarray, result) -> np.ndarray:
    """Higher = less sure of its cluster: 1 - top probability (soft methods), else the ratio of the distances
    to the nearest and second-nearest centre; noise items NaN."""
    if result.responsibilities is not None:
        out = 1.0 - result.responsibilities.max(axis=1)
    elif result.centers is not None and len(result.centers) > 1:
        from scipy.spatial.distance import cdist

        d = np.sort(cdist(x, np.nan_to_num(result.centers, nan=np.inf)), axis=1)
        out = d[:, 0] / np.maximum(d[:, 1], 1e-12)
    else:
        out = np.zeros(len(x))
    return np.where(result.labels >= 0, out, np.nan)


def _thumb_tag(path: str, caption: str) -> str:
    buffer = io.BytesIO()
    Image.fromarray(thumbnail(path, THUMB)).save(buffer, format="JPEG", quality=80)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return (f'<figure style="display:inline-block;margin:2px;width:{THUMB}px;font-size:.7em;text-align:center">'
            f'<img src="data:image/jpeg;base64,{data}" width="{THUMB}" height="{THUMB}" alt="{esc(caption)}">'
            f"<figcaption>{esc(caption)}</figcaption></figure>")


def _grid(emb, members: np.ndarray, note: np.ndarray, fmt: str) -> str:
    if not all(emb.paths[i] for i in members):  # TFDS sets: no files to show, list the ids
        return "<p>" + ", ".join(esc(emb.ids[i]) for i in members) + "</p>"
    tags = []
    for i in members:
        label = emb.class_names[emb.labels[i]] if emb.labels[i] >= 0 and emb.class_names else ""
        tags.append(_thumb_tag(emb.paths[i], f"{label} {fmt.format(note[i])}".strip()))
    return "<div>" + "".join(tags) + "</div>"


def cluster_sections(emb, outcome, distances: np.ndarray, per_cluster: int, uncertain: int) -> list[Section]:
    result = outcome.result
    doubt = uncertainty(outcome.features, result)
    typical_key = doubt if result.responsibilities is not None else distances
    external = outcome.scores.get("external") or {}
    counts = external.get("class_counts", {})
    rows, blocks = [], []
    for c in [c for c in np.unique(result.labels) if c >= 0][:MAX_CLUSTERS]:
        members = np.flatnonzero(result.labels == c)
        majority, purity = "", None
        if str(c) in counts and sum(counts[str(c)]):
            majority = external["class_names"][int(np.argmax(counts[str(c)]))]
            purity = max(counts[str(c)]) / sum(counts[str(c)])
        rows.append([int(c), len(members), majority, purity, float(np.nanmean(doubt[members]))])
        typical = members[np.argsort(typical_key[members], kind="stable")[:per_cluster]]
        unsure = members[np.argsort(-doubt[members], kind="stable")[:uncertain]]
        title = f"cluster {c}: {len(members)} items" + (f", {majority} {purity:.0%}" if majority else "")
        blocks.append(f'<h3 id="c{c}">{esc(title)}</h3><p>most typical</p>'
                      + _grid(emb, typical, typical_key, "{:.3f}")
                      + "<p>most uncertain</p>" + _grid(emb, unsure, doubt, "{:.3f}"))
    noise = int((result.labels < 0).sum())
    header = ["cluster", "size", "majority class", "purity", "mean uncertainty"]
    summary = table(header, rows, caption=f"{len(rows)} clusters" + (f", {noise} noise items" if noise else ""))
    return [Section("Clusters", "clusters", [summary]), Section("Members", "members", blocks)]


def write_clusters_html(emb, outcome, distances: np.ndarray, metrics: dict, out: Path, per_cluster: int = 12,
                        uncertain: int = 6) -> Path:
    scores = metrics["scores"]
    rows = [[k, v] for k, v in {**scores.get("internal", {}), **{k: v for k, v in scores.get("external", {}).items()
                                                                 if k in ("accuracy", "nmi", "ari", "purity")}}.items()]
    overview = [table(["score", "value"], rows)]
    for stage in metrics.get("method_info", {}).get("stages", []):
        shown = ", ".join(f"{k} {v}" for k, v in stage.items() if not isinstance(v, (dict, list)))
        overview.append(f"<p>{esc(shown)}</p>")
    for name in ("map", "label_distribution"):
        if name in metrics.get("plots", {}):
            overview.append(figure(Figure(Path(metrics["plots"][name]), name.replace("_", " "))))
    sections = [Section("Overview", "overview", overview)] + cluster_sections(emb, outcome, distances, per_cluster,
                                                                             uncertain)
    subtitle = f"{metrics['method']}, {metrics['k']} clusters over {metrics['n']} items ({metrics['embeddings']})"
    atomic.write_text(out, render_page("Clusters", subtitle, sections))
    return out
