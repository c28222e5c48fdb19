"""Thai Buddha statues: K-means++ clusters against the five statue kinds, before and after the pseudo-label
loop, beside a supervised ceiling (5-fold logistic-regression linear probe on the same embeddings).

    artzoo embed --data-dir ../shared/data/thai_buddha_statues --backbone mobilenet_v2 --image-size 224 --out E.npz
    artzoo cluster E.npz --method kmeans++ --k 5 --out K5          (and --normalize l2, --k auto)
    artzoo pseudolabel --data-dir ../shared/data/thai_buddha_statues --backbone mobilenet_v2 --k 5 --rounds 2 --out P
    PYTHONPATH=. python bench/buddha_clusters.py E.npz --clusters K5 [more cluster dirs] [--pseudo P]

Prints one table row per cluster folder (its metrics.json), one per pseudo-label round (rounds.csv), and the
probe's mean and spread over 5 stratified folds (scikit-learn LogisticRegression on the .npz embeddings).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.model_selection import StratifiedKFold, cross_val_score  # noqa: E402

from artzoo.embeddings.store import load_embeddings  # noqa: E402


def probe_accuracy(x: np.ndarray, y: np.ndarray, folds: int, seed: int) -> np.ndarray:
    split = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    return cross_val_score(LogisticRegression(max_iter=3000), x, y, cv=split, scoring="accuracy")


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("embeddings", help="the .npz of `artzoo embed` (labelled by the class folders)")
    p.add_argument("--clusters", nargs="*", default=[], help="output folders of `artzoo cluster`")
    p.add_argument("--pseudo", default=None, help="output folder of `artzoo pseudolabel`")
    p.add_argument("--folds", type=int, default=5)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()

    emb = load_embeddings(args.embeddings)
    keep = emb.labels >= 0
    print(f"{int(keep.sum())} labelled images, {len(emb.class_names)} classes: {', '.join(emb.class_names)}")
    print("| features | method | k | accuracy | NMI | ARI |")
    print("|---|---|---|---|---|---|")
    for folder in args.clusters:
        m = json.loads((Path(folder) / "metrics.json").read_text())
        ext = m["scores"]["external"]
        normalize = m.get("settings", {}).get("normalize", "none")
        print(f"| MobileNetV2 ImageNet{' (L2)' if normalize == 'l2' else ''} | {m['method']} | {m['k']} | "
              f"{ext['accuracy']:.3f} | {ext['nmi']:.3f} | {ext['ari']:.3f} |")
    if args.pseudo:
        with open(Path(args.pseudo) / "rounds.csv", newline="") as f:
            for r in csv.DictReader(f):
                print(f"| pseudo-label loop round {r['round']} (L2) | kmeans++ | - | {float(r['accuracy']):.3f} | "
                      f"{float(r['nmi']):.3f} | {float(r['ari']):.3f} |")
    scores = probe_accuracy(emb.embeddings[keep], emb.labels[keep], args.folds, args.seed)
    print(f"| MobileNetV2 ImageNet | linear probe (supervised), {args.folds}-fold | - | "
          f"{scores.mean():.3f} ± {scores.std():.3f} | - | - |")


if __name__ == "__main__":
    main()
