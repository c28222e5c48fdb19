"""Egyptian museum objects: each head of the 3-head model against a logistic-regression linear probe on the
same frozen MobileNetV2 ImageNet embeddings, and the shared backbone against specialists, on `val`.

    PYTHONPATH=. python bench/egyptian_probe.py --tfds-dir DIR [--runs shared=RUN_DIR specialists=RUN_DIR]

Probe: MobileNetV2 (ImageNet, avg pool, 224 px, the images exactly as the training pipeline feeds them)
embeds train and val once; per head a scikit-learn LogisticRegression is fitted on the train items that have
that head's label: object type (multinomial, no class weights: the reference probe), era (class_weight
balanced, as the config's era head), material (one-vs-rest, one binary LR per tag). The trained runs
(`artzoo train --task ancient`, shared and `--set model.mode=specialists`) are read from their RUN_DIR's
metrics.json and run.json. Both sides are scored by the same code (`artzoo.evaluate.score_heads`);
material decides at per-tag thresholds tuned for F2 on val (`tune_sigmoid_heads`, what `artzoo train` does)
for the probe as for the models, so both are optimistic alike; mAP needs no threshold.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.multiclass import OneVsRestClassifier  # noqa: E402

from artzoo.config import load_task_config  # noqa: E402
from artzoo.data.pipeline import make_dataset  # noqa: E402
from artzoo.data.sources import load_tfds  # noqa: E402
from artzoo.embeddings.extractor import EmbedderSettings, build_embedder  # noqa: E402
from artzoo.evaluate import score_heads  # noqa: E402
from artzoo.reporting.thresholds import thresholds_by_head, tune_sigmoid_heads  # noqa: E402


def embed_split(embedder, data, split: str, heads, num_classes, image_size: int):
    """(features, labels per head) of a split; labels as `predict_with_labels` gives them (-1 = missing)."""
    ds = make_dataset(data.split(split), heads, num_classes, image_size, 64, cache=False)
    features, labels = [], {h.name: [] for h in heads}
    for images, targets, weights in ds:
        features.append(np.asarray(embedder.predict_on_batch(images), dtype=np.float32))
        for h in heads:
            known = weights[h.name].numpy() > 0
            target = targets[h.name].numpy()
            labels[h.name].append(np.where(known, target.argmax(axis=1), -1) if h.type == "softmax"
                                  else np.where(known[:, None], target, -1))
    return np.concatenate(features), {k: np.concatenate(v) for k, v in labels.items()}


def probe_probabilities(head, x_train, y_train, x_val, n_classes: int, seed: int) -> np.ndarray:
    """Val probabilities of a linear probe fitted on the train items that have this head's label."""
    if head.type == "softmax":
        keep = y_train >= 0
        weight = "balanced" if head.class_weight == "balanced" else None
        clf = LogisticRegression(max_iter=3000, class_weight=weight, random_state=seed)
        clf = clf.fit(x_train[keep], y_train[keep])
        probs = np.zeros((len(x_val), n_classes), dtype=np.float32)
        probs[:, clf.classes_] = clf.predict_proba(x_val)
        return probs
    keep = y_train[:, 0] >= 0
    clf = OneVsRestClassifier(LogisticRegression(max_iter=3000, random_state=seed)).fit(x_train[keep], y_train[keep])
    return clf.predict_proba(x_val).astype(np.float32)


def row(name: str, metrics: dict, seconds) -> str:
    o, e, m = metrics["object_type"], metrics["era"], metrics["material"]
    secs = f"{seconds:.0f}" if seconds is not None else "-"
    return (f"| {name} | {o['accuracy']:.3f} | {o['macro']['f1']:.3f} | {e['accuracy']:.3f} | {e['macro']['f1']:.3f} | "
            f"{m['f2_micro']:.3f} | {m['f1_macro']:.3f} | {m['mAP']:.3f} | {secs} |")


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--tfds-dir", default=None)
    p.add_argument("--manual-dir", default="../shared/data/egyptian_artifacts")
    p.add_argument("--runs", nargs="*", default=[], metavar="NAME=RUN_DIR", help="trained runs to put beside the probe")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default=None, help="write the probe's metrics here as JSON")
    p.add_argument("--probe-from", default=None, help="a JSON written by --out: reuse the probe, embed nothing")
    args = p.parse_args()
    cfg = load_task_config("ancient")
    if args.probe_from:
        saved = json.loads(Path(args.probe_from).read_text())
        print_table(saved["metrics"], saved["seconds"], args.runs, cfg.data.val_split)
        return

    heads, size = cfg.model.heads, cfg.data.image_size
    data = load_tfds(cfg.data.dataset, heads, manual_dir=args.manual_dir, tfds_dir=args.tfds_dir,
                     config=cfg.data.builder_config)
    num_classes = {h.name: len(data.classes[h.name]) for h in heads}
    embedder, _ = build_embedder(EmbedderSettings(cfg.model.backbone, cfg.model.weights, size, cfg.data.resize))
    started = time.time()
    x_train, y_train = embed_split(embedder, data, "train", heads, num_classes, size)
    x_val, y_val = embed_split(embedder, data, "val", heads, num_classes, size)
    embed_seconds = time.time() - started
    started = time.time()
    probs = {h.name: probe_probabilities(h, x_train, y_train[h.name], x_val, num_classes[h.name], args.seed)
             for h in heads}
    fit_seconds = time.time() - started
    tuning = tune_sigmoid_heads(heads, probs, y_val, data.classes)
    probe = score_heads(probs, y_val, heads, data.classes, thresholds_by_head(tuning))
    if args.out:
        Path(args.out).write_text(json.dumps({"metrics": probe, "seconds": embed_seconds + fit_seconds}, default=float))
    print(f"train {len(x_train)} / val {len(x_val)} items; embedding {embed_seconds:.0f} s, probes {fit_seconds:.0f} s")
    print_table(probe, embed_seconds + fit_seconds, args.runs, cfg.data.val_split)


def print_table(probe: dict, probe_seconds: float, runs: list[str], val_split: str) -> None:
    print("| model | type acc | type macro-F1 | era acc | era macro-F1 | material micro-F2 | material macro-F1 "
          "| material mAP | train s |")
    print("|---|---|---|---|---|---|---|---|---|")
    print(row("linear probe (LR on frozen MobileNetV2 embeddings)", probe, probe_seconds))
    for spec in runs:
        name, _, run_dir = spec.partition("=")
        run = Path(run_dir)
        metrics = json.loads((run / "metrics.json").read_text())[val_split]
        summary = json.loads((run / "run.json").read_text())
        print(row(name, metrics, summary.get("train_seconds")))


if __name__ == "__main__":
    main()
