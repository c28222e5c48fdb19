"""Does scaled JPEG decoding change results? Louvre-4 with `data.decode` full vs scaled: K-means++ clustering of
MobileNetV2 ImageNet embeddings, and the genre model's val accuracy (trained with each, scored with each).

    PYTHONPATH=. python bench/decode_accuracy.py [--epochs 10] [--skip-train] [--skip-cluster]

Clustering: all 1,164 Louvre-4 images (train + val) embedded at 224 px with each decode, K-means++ k = 4
(seed 0), scored against the genre labels (as the README's clustering table, `artzoo embed` + `artzoo cluster`).
Genre (quick setting, not the shipped recipe): `configs/genre.yaml` with augmentation off, so phase 1 takes the
cached-heads fast path, `--epochs` frozen epochs, no fine-tuning, export off; one run per decode, then each
run's best model scored on val with both decodes.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.shared_weights import SHARED, use_shared_weights  # noqa: E402

LOUVRE = SHARED / "data" / "louvre_genre"
DECODES = ("full", "scaled")


def cluster_scores() -> dict:
    from artzoo.clustering.run import ClusterSettings, cluster_embeddings
    from artzoo.embeddings.extractor import EmbedderSettings, build_embedder, embed_collection
    from artzoo.embeddings.images import folder_collection
    from artzoo.embeddings.store import EmbeddingSet

    collection = folder_collection(LOUVRE)
    model, desc = build_embedder(EmbedderSettings())
    out = {}
    for decode in DECODES:
        vectors = embed_collection(model, collection, desc["image_size"], "squash", 64, decode=decode)
        emb = EmbeddingSet(vectors, collection.ids, collection.paths, collection.labels, collection.splits,
                           collection.class_names, desc)
        ext = cluster_embeddings(emb, ClusterSettings(method="kmeans++", k=4)).scores["external"]
        out[decode] = {k: round(ext[k], 3) for k in ("accuracy", "nmi", "ari")}
        print(f"cluster decode={decode}: {out[decode]} ({len(collection)} images)", flush=True)
    return out


def genre_scores(epochs: int) -> dict:
    import keras

    from artzoo.config import load_task_config
    from artzoo.data.pipeline import make_dataset
    from artzoo.data.sources import load_labeled_data
    from artzoo.evaluate import predict_with_labels, score_heads
    from artzoo.train.runner import train

    runs = Path(tempfile.mkdtemp(prefix="artzoo-decode-accuracy-"))
    base = {"data.data_dir": str(LOUVRE), "train.epochs": epochs, "train.fine_tune_epochs": 0,
            "export.enabled": False, "data.augment.flip": False, "data.augment.rotation": 0,
            "data.augment.zoom": 0, "data.augment.contrast": 0}
    out = {}
    for trained_with in DECODES:
        cfg = load_task_config("genre", {**base, "data.decode": trained_with, "run_dir": str(runs / trained_with)})
        run = train(cfg, verbose=0)
        model = keras.models.load_model(run.model_path, safe_mode=True)
        data = load_labeled_data(cfg.data, cfg.model.heads)
        heads = cfg.model.heads
        classes = {h.name: len(data.classes[h.name]) for h in heads}
        for scored_with in DECODES:
            ds = make_dataset(data.split("val"), heads, classes, cfg.data.image_size, 32, decode=scored_with,
                              cache=False)
            probs, labels = predict_with_labels(model, ds, heads)
            accuracy = score_heads(probs, labels, heads, data.classes)[heads[0].name]["accuracy"]
            out[f"trained {trained_with}, scored {scored_with}"] = round(float(accuracy), 4)
            print(f"genre trained with {trained_with}, val scored with {scored_with}: accuracy {accuracy:.4f}",
                  flush=True)
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--skip-train", action="store_true")
    p.add_argument("--skip-cluster", action="store_true")
    args = p.parse_args()
    use_shared_weights()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    print(f"load {os.getloadavg()[0]:.1f}", flush=True)
    clusters = {} if args.skip_cluster else cluster_scores()
    genre = {} if args.skip_train else genre_scores(args.epochs)
    print(f"load after: {os.getloadavg()[0]:.1f}")
    parts = [f"K-means++ {d}: acc {s['accuracy']} NMI {s['nmi']} ARI {s['ari']}" for d, s in clusters.items()]
    parts += [f"genre val {k}: {v}" for k, v in genre.items()]
    print("summary: " + "; ".join(parts))


if __name__ == "__main__":
    main()
