"""The pseudo-label loop of the sculpture study: cluster -> pseudo-labels -> fine-tune -> re-embed -> re-cluster.

Round 0 clusters the untrained embedder's features (ImageNet weights). Each later round first fine-tunes the
classifier on the most confident share of every cluster (ranked by the ratio of the distances to the nearest
and second-nearest centre), then embeds every image with the fine-tuned pooled features and clusters again.
Cluster ids are matched to the previous round's (Hungarian), so the head's classes keep their meaning.
Everything a round produces is written to OUT: embeddings_round<r>.npz, clusters_round<r>.csv, rounds.csv,
metrics.json, model.keras (the last classifier), plots/rounds.png and a full cluster report in final/.
"""

from __future__ import annotations

import csv
import io
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

import keras
import numpy as np
from scipy.spatial.distance import cdist
from sklearn import metrics as skm

from artzoo import atomic
from artzoo.clustering.pseudo_train import HEAD, FineTuneSettings, fine_tune_on_pseudo_labels
from artzoo.clustering.report import clusters_csv, distance_to_centre, write_report
from artzoo.clustering.run import ClusterOutcome, ClusterSettings, cluster_embeddings, cluster_features
from artzoo.clustering.scores import clustering_accuracy, external_scores, hungarian_mapping, internal_scores
from artzoo.config import ModelConfig
from artzoo.embeddings.embed import DataSource
from artzoo.embeddings.extractor import POOL_LAYER, EmbedderSettings, embed_collection
from artzoo.embeddings.images import ImageCollection
from artzoo.embeddings.store import EmbeddingSet, save_embeddings
from artzoo.errors import ArtzooError
from artzoo.models.classifier import build_classifier
from artzoo.models.registry import get_backbone_spec
from artzoo.train.precision import precision_policy


@dataclass(frozen=True)
class PseudoLabelSettings:
    k: int = 4
    rounds: int = 3
    keep_fraction: float = 0.5
    normalize: str = "l2"
    reduce: str = "none"
    seed: int = 0
    fine_tune: FineTuneSettings = field(default_factory=FineTuneSettings)

    def __post_init__(self):
        if self.rounds < 1:
            raise ArtzooError(f"--rounds {self.rounds} must be at least 1")
        if not 0 < self.keep_fraction <= 1:
            raise ArtzooError(f"--keep {self.keep_fraction} must be in (0, 1]")
        if self.k < 2:
            raise ArtzooError(f"--k {self.k} must be at least 2")


def confident_items(x: np.ndarray, labels: np.ndarray, centers: np.ndarray, fraction: float) -> np.ndarray:
    """Per cluster, the `fraction` of members whose nearest/second-nearest centre distance ratio is lowest."""
    distances = np.sort(cdist(x, centers), axis=1)
    ratio = distances[:, 0] / np.maximum(distances[:, 1], 1e-12)
    keep = np.zeros(len(labels), dtype=bool)
    for c in np.unique(labels):
        members = np.flatnonzero(labels == c)
        n = max(1, int(round(fraction * len(members))))
        keep[members[np.argsort(ratio[members], kind="stable")[:n]]] = True
    return keep


def align_to(previous: np.ndarray, labels: np.ndarray, centers: np.ndarray, k: int):
    """Renames cluster ids so they agree best (Hungarian) with `previous`; returns labels and centres."""
    mapping = hungarian_mapping(previous, labels)  # new id -> previous id
    order = np.array([mapping[c] for c in range(k)])
    renamed = order[labels]
    new_centers = np.empty_like(centers)
    new_centers[order] = centers
    return renamed, new_centers


class PseudoLabelLoop:
    """Holds the classifier, its two-output view (pooled features + head) and the per-round records."""

    def __init__(self, collection: ImageCollection, embedder: EmbedderSettings, settings: PseudoLabelSettings,
                 out: Path, log: Callable[[str], None]):
        self.collection, self.embedder, self.settings, self.out, self.log = collection, embedder, settings, out, log
        spec = get_backbone_spec(embedder.backbone)
        self.image_size = embedder.image_size or spec.default_size
        self.preprocessing = spec.preprocessing
        keras.utils.set_random_seed(settings.seed)
        cfg = ModelConfig(backbone=embedder.backbone, weights=embedder.weights, attention=embedder.attention,
                          heads=(HEAD,))
        self.classifier = build_classifier(cfg, {HEAD.name: [f"cluster_{i}" for i in range(settings.k)]},
                                           self.image_size)
        pooled = self.classifier.get_layer(POOL_LAYER).output
        self.dims = int(pooled.shape[-1])
        # One pass gives both the embedding and the head's prediction of every image.
        joined = keras.layers.Concatenate(name="pooled_and_probs")([pooled, self.classifier.output[HEAD.name]])
        self.both = keras.Model(self.classifier.inputs, joined)
        self.rows: list[dict] = []

    def features_and_predictions(self) -> tuple[np.ndarray, np.ndarray]:
        out = embed_collection(self.both, self.collection, self.image_size, self.embedder.resize,
                               self.embedder.batch_size, what=f"round {len(self.rows)} embed",
                               decode=self.embedder.decode)
        return out[:, :self.dims], out[:, self.dims:]

    def cluster(self, features: np.ndarray, previous) -> ClusterOutcome:
        s = self.settings
        cs = ClusterSettings(method="kmeans++", k=s.k, normalize=s.normalize, reduce=s.reduce, seed=s.seed)
        x, preparation, _, result = cluster_features(features, cs)
        if result.centers is None:
            raise ArtzooError("the pseudo-label loop needs cluster centres")
        if previous is not None:
            result.labels, result.centers = align_to(previous, result.labels, result.centers, s.k)
        return ClusterOutcome(x, preparation, result, None, {}, {})

    def record(self, r: int, features, probs, outcome: ClusterOutcome, keep, previous, train_logs, seconds):
        c = self.collection
        labels = outcome.result.labels
        row = {"round": r, "train_items": int(keep.sum()) if keep is not None else 0, "seconds": round(seconds, 1)}
        if c.labelled:
            ext = external_scores(c.labels, labels, c.class_names)
            row.update({k: round(ext[k], 4) for k in ("accuracy", "nmi", "ari", "purity")})
            known = c.labels >= 0
            if r > 0:
                row["classifier_accuracy"] = round(clustering_accuracy(c.labels[known], probs[known].argmax(1)), 4)
        if keep is not None and c.labelled:  # how right the pseudo-labels this round trained on were
            known = c.labels >= 0
            mapping = hungarian_mapping(c.labels[known], previous[known])
            kept = keep & known
            mapped = np.array([mapping.get(int(v), -2) for v in previous[kept]])
            row["kept_label_precision"] = round(float((mapped == c.labels[kept]).mean()), 4)
        row["silhouette"] = round(internal_scores(outcome.features, labels, self.settings.seed)["silhouette"], 4)
        if previous is not None:
            row["ari_vs_previous"] = round(float(skm.adjusted_rand_score(previous, labels)), 4)
        row["train_logs"] = train_logs
        self.rows.append(row)
        self.save_round(r, features, outcome)
        shown = {k: v for k, v in row.items() if k != "train_logs"}
        self.log("round " + " ".join(f"{k}={v}" for k, v in shown.items()))

    def save_round(self, r: int, features: np.ndarray, outcome: ClusterOutcome) -> None:
        c = self.collection
        meta = {"backbone": self.embedder.backbone, "weights": self.embedder.weights if r == 0 else
                f"pseudo-label round {r}", "preprocessing": self.preprocessing, "image_size": self.image_size,
                "resize": self.embedder.resize, "decode": self.embedder.decode, "attention": self.embedder.attention,
                "source": c.source,
                "round": r, "dims": int(features.shape[1]), "count": len(c),
                "model": str((self.out / "model.keras").resolve()) if r == self.settings.rounds else None}
        emb = EmbeddingSet(features, c.ids, c.paths, c.labels, c.splits, c.class_names, meta)
        save_embeddings(emb, self.out / f"embeddings_round{r}.npz")
        distances = distance_to_centre(outcome.features, outcome.result)
        atomic.write_text(self.out / f"clusters_round{r}.csv", clusters_csv(emb, outcome, distances))

    def run(self) -> list[dict]:
        s = self.settings
        previous, train_logs, keep = None, {}, None
        for r in range(s.rounds + 1):
            started = time.time()
            if r > 0:
                train_logs = fine_tune_on_pseudo_labels(self.classifier, self.embedder.backbone, self.collection,
                                                        previous, keep, s.k, self.image_size, self.embedder.resize,
                                                        s.fine_tune, s.seed + r, decode=self.embedder.decode)
            features, probs = self.features_and_predictions()
            outcome = self.cluster(features, previous)
            self.record(r, features, probs, outcome, keep, previous, train_logs, time.time() - started)
            previous = outcome.result.labels
            keep = confident_items(outcome.features, previous, outcome.result.centers, s.keep_fraction)
        self.final = (features, outcome)
        return self.rows


def pseudo_label_loop(source: DataSource, embedder: EmbedderSettings, settings: PseudoLabelSettings,
                      out_dir: str | Path, log: Callable[[str], None] = print) -> dict:
    """Runs the loop and writes its files; returns metrics.json's content."""
    if embedder.model_path:
        raise ArtzooError("the pseudo-label loop starts from a backbone; --model is not supported here")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    collection = source.collection()
    log(f"{len(collection)} images from {collection.source} ({len(collection.quarantined)} quarantined)")
    with precision_policy("auto") as policy:
        loop = PseudoLabelLoop(collection, embedder, settings, out, log)
        rows = loop.run()
        loop.classifier.save(out / "model.keras")
    features, outcome = loop.final
    emb = EmbeddingSet(features, collection.ids, collection.paths, collection.labels, collection.splits,
                       collection.class_names, {"round": settings.rounds})
    final_settings = ClusterSettings(method="kmeans++", k=settings.k, normalize=settings.normalize,
                                     reduce=settings.reduce, seed=settings.seed)
    write_report(emb, cluster_embeddings(emb, final_settings), final_settings, out / "final")
    return write_summary(out, rows, embedder, settings, collection, policy)


def write_summary(out: Path, rows, embedder, settings, collection, policy) -> dict:
    from artzoo.clustering.plots import pseudo_label_rounds

    columns = [k for k in rows[-1] if k != "train_logs"]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    atomic.write_text(out / "rounds.csv", buffer.getvalue())
    summary = {"source": collection.source, "n": len(collection), "embedder": asdict(embedder),
               "settings": asdict(settings), "precision_policy": policy, "rounds": rows,
               "plots": {"rounds": str(pseudo_label_rounds(rows, out / "plots" / "rounds.png"))}}
    atomic.write_json(out / "metrics.json", summary)
    return summary
