"""Does `artzoo cluster assign` put held-out works where clustering them together would have?

    PYTHONPATH=. python bench/cluster_assign_agreement.py E.npz --method kmeans++ --k 10 [--views F.npz]
        [--normalize l2] [--held-out 0.2] [--seeds 0 1 2]

Per seed: (A) cluster all items; (B) cluster all but a held-out share (stratified by label when labels exist),
save the clusterer, load it back and assign the held-out items' vectors. B's cluster ids are matched to A's
(Hungarian, over the items both fitted). Printed per seed and as mean +- sd:
- held-out agreement: share of held-out items that B's assignment puts in the cluster A gave them;
- fitted agreement: the same over the items both fitted (how alike two fits are at all: the ceiling);
- held-out accuracy when labels exist (B's assignment against the classes, Hungarian-matched on B's fit).
The last line is stable: `agreement held-out MEAN (fitted MEAN)`.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sklearn.model_selection import train_test_split  # noqa: E402

from artzoo.clustering.assign import assign_vectors  # noqa: E402
from artzoo.clustering.clusterer import clusterer_from, load_clusterer, save_clusterer  # noqa: E402
from artzoo.clustering.methods import MethodSettings  # noqa: E402
from artzoo.clustering.report import load_views  # noqa: E402
from artzoo.clustering.run import ClusterSettings, cluster_embeddings, settings_dict  # noqa: E402
from artzoo.clustering.scan_settings import ScanSettings  # noqa: E402
from artzoo.clustering.scores import clustering_accuracy, hungarian_mapping  # noqa: E402
from artzoo.embeddings.store import EmbeddingSet, load_embeddings  # noqa: E402


def subset(emb: EmbeddingSet, keep: np.ndarray) -> EmbeddingSet:
    idx = np.flatnonzero(keep)
    return EmbeddingSet(emb.embeddings[idx], [emb.ids[i] for i in idx], [emb.paths[i] for i in idx],
                        emb.labels[idx], [emb.splits[i] for i in idx], emb.class_names, emb.meta)


def one_seed(emb, views, settings: ClusterSettings, held_out: float, seed: int) -> dict:
    settings = replace(settings, seed=seed)
    n = len(emb)
    stratify = emb.labels if emb.labelled else None
    _, test_idx = train_test_split(np.arange(n), test_size=held_out, random_state=seed, stratify=stratify)
    test = np.zeros(n, bool)
    test[test_idx] = True
    together = cluster_embeddings(emb, settings, views).result.labels
    fit_set = subset(emb, ~test)
    outcome = cluster_embeddings(fit_set, settings, None if views is None else views[:, ~test])
    with tempfile.TemporaryDirectory() as folder:
        save_clusterer(clusterer_from(outcome, fit_set, settings_dict(settings)), folder)
        assigned = assign_vectors(load_clusterer(folder), emb.embeddings[test]).labels
    mapping = hungarian_mapping(together[~test], outcome.result.labels)  # B's id -> A's id
    renamed = np.array([mapping.get(int(c), -2) for c in assigned])
    fitted_renamed = np.array([mapping.get(int(c), -2) for c in outcome.result.labels])
    row = {"seed": seed, "held_out": int(test.sum()),
           "agreement_held_out": float((renamed == together[test]).mean()),
           "agreement_fitted": float((fitted_renamed == together[~test]).mean())}
    if emb.labelled:
        to_class = hungarian_mapping(fit_set.labels, outcome.result.labels)
        predicted = np.array([to_class.get(int(c), -2) for c in assigned])
        row["accuracy_held_out"] = float((predicted == emb.labels[test]).mean())
        row["accuracy_together"] = clustering_accuracy(emb.labels, together)
    return row


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("embeddings")
    p.add_argument("--method", default="kmeans++")
    p.add_argument("--k", type=int, default=None)
    p.add_argument("--normalize", default="none")
    p.add_argument("--views", default=None)
    p.add_argument("--held-out", type=float, default=0.2)
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args = p.parse_args()
    emb = load_embeddings(args.embeddings)
    views = load_views(args.views, emb) if args.views else None
    settings = ClusterSettings(method=args.method, k=args.k, normalize=args.normalize,
                               method_settings=MethodSettings(scan=ScanSettings()))
    rows = []
    for seed in args.seeds:
        started = time.time()
        rows.append(one_seed(emb, views, settings, args.held_out, seed))
        print({k: round(v, 4) if isinstance(v, float) else v for k, v in rows[-1].items()},
              f"{time.time() - started:.0f} s", flush=True)
    for key in [k for k in rows[0] if k not in ("seed", "held_out")]:
        values = [r[key] for r in rows]
        sd = statistics.stdev(values) if len(values) > 1 else 0.0
        print(f"{key}: {statistics.mean(values):.4f} +- {sd:.4f}")
    held = statistics.mean(r["agreement_held_out"] for r in rows)
    fitted = statistics.mean(r["agreement_fitted"] for r in rows)
    print(f"agreement held-out {held:.4f} (fitted {fitted:.4f})")


if __name__ == "__main__":
    main()
