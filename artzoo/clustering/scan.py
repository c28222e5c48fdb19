"""SCAN on embedding vectors (Van Gansbeke et al. 2020): mine neighbours, train clustering heads for neighbour
consistency, keep the head with the lowest SCAN loss, then self-label.

    1. neighbours: the `neighbours` nearest items of each vector (cosine), mined once;
    2. SCAN: `heads` clustering heads trained together, each on consistency - entropy_weight * entropy;
       the head with the lowest SCAN loss over all (item, neighbour) pairs is kept, as the paper does;
    3. self-labelling, `rounds` rounds of `self_label_epochs`: the kept head learns the confident
       (max probability > `threshold`) clusters of the plain vectors from augmented ones.

With labels, every stage is scored (accuracy, NMI, ARI; neighbour purity after mining) into `stages`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Optional

import keras
import numpy as np

from artzoo.clustering.scan_settings import ScanSettings
from artzoo.clustering.neighbours import mine_neighbours, neighbour_purity
from artzoo.clustering.scan_head import build_scan_head, predict_probs, single_head
from artzoo.clustering.scan_train import ScanTrainer, SelfLabelTrainer, scan_dataset, self_label_dataset
from artzoo.clustering.scores import clustering_accuracy
from artzoo.errors import ArtzooError


@dataclass
class ScanFit:
    head: keras.Model  # one head, (batch, 1, k)
    probs: np.ndarray  # (n, k)
    neighbours: np.ndarray
    stages: list[dict]
    head_losses: list[float]
    best_head: int


def batching(n: int, batch_size: int) -> tuple[int, int]:
    """Batch size and steps per epoch: batches of at most `batch_size` and at least 16 items (the entropy term
    needs a batch to average over), at least 8 per pass over the data; an epoch is at least 24 steps, so that a
    small collection (476 statues: 8 batches of 59) still trains as long as a large one does."""
    batch = max(min(batch_size, n // 8), min(16, n))
    return batch, max(24, n // batch)


def auto_neighbours(n: int, k: int) -> int:
    """1 % of the average cluster size, between 5 and 20 (CIFAR-10's 10,000 in 10: 10; 476 statues in 5: 5)."""
    return int(min(20, max(5, round(n / k / 100))))


def scan_losses_per_head(probs: np.ndarray, neighbours: np.ndarray, entropy_weight: float) -> np.ndarray:
    """SCAN loss of each head over all (item, neighbour) pairs; probs is (n, heads, k)."""
    dots = np.einsum("nhk,nmhk->nmh", probs, probs[neighbours])
    consistency = -np.log(np.clip(dots, 1e-8, 1.0)).mean(axis=(0, 1))
    mean = np.clip(probs.mean(axis=0), 1e-8, 1.0)
    return consistency + entropy_weight * (mean * np.log(mean)).sum(axis=-1)


def _score(stage: str, labels: Optional[np.ndarray], assigned: np.ndarray, seconds: float, **extra) -> dict:
    from sklearn import metrics as skm

    row = {"stage": stage, "seconds": round(seconds, 1), **extra}
    if labels is not None and (labels >= 0).any():
        known = labels >= 0
        row.update({"accuracy": round(clustering_accuracy(labels[known], assigned[known]), 4),
                    "nmi": round(float(skm.normalized_mutual_info_score(labels[known], assigned[known])), 4),
                    "ari": round(float(skm.adjusted_rand_score(labels[known], assigned[known])), 4)})
    row["clusters_used"] = int(len(np.unique(assigned)))
    return row


def _fit_stage(trainer: keras.Model, dataset, steps: int, epochs: int, learning_rate: float) -> dict:
    trainer.compile(optimizer=keras.optimizers.Adam(learning_rate))
    history = trainer.fit(dataset, epochs=epochs, steps_per_epoch=steps, shuffle=False, verbose=0)
    return {key: round(float(values[-1]), 4) for key, values in history.history.items()}


def fit_scan(x: np.ndarray, k: int, seed: int = 0, settings: ScanSettings = ScanSettings(),
             labels: Optional[np.ndarray] = None, views: Optional[np.ndarray] = None) -> ScanFit:
    """Runs the three stages on prepared vectors `x` (n, d); `views` (v, n, d) with views[0] == x if given:
    neighbours are mined on their averaged unit vectors, and every stage draws a random view per item."""
    started = time.time()
    x = np.ascontiguousarray(x, dtype=np.float32)
    n = len(x)
    if not 2 <= k < n:
        raise ArtzooError(f"--k {k} is not valid for {n} items; SCAN needs 2 <= k < {n}")
    views = x[None] if views is None else np.ascontiguousarray(views, dtype=np.float32)
    batch, steps = batching(n, settings.batch_size)
    count = settings.neighbours or auto_neighbours(n, k)
    neighbours = mine_neighbours(x, min(count, n - 1), views if len(views) > 1 else None)
    stages = [{"stage": "neighbours", "seconds": round(time.time() - started, 1), "k": int(neighbours.shape[1]),
               "views": int(len(views)), "purity": None if labels is None else neighbour_purity(neighbours, labels)}]

    keras.utils.set_random_seed(seed)
    clock = time.time()
    heads = build_scan_head(x.shape[1], k, settings.heads, settings.hidden, settings.dropout, settings.noise,
                            x.mean(axis=0), x.var(axis=0) + 1e-12)
    logs = _fit_stage(ScanTrainer(heads, settings.entropy_weight), scan_dataset(views, neighbours, batch, seed),
                      steps, settings.epochs, settings.learning_rate)
    all_probs = predict_probs(heads, x)
    losses = scan_losses_per_head(all_probs, neighbours, settings.entropy_weight)
    best = int(np.argmin(losses))
    stages.append(_score("scan", labels, all_probs[:, best].argmax(1), time.time() - clock, best_head=best,
                         head_losses=[round(float(v), 4) for v in losses],
                         head_accuracy=_head_accuracy(all_probs, labels), train=logs))

    head = single_head(heads, best)
    for r in range(1, settings.rounds + 1):
        clock = time.time()
        logs = _fit_stage(SelfLabelTrainer(head, settings.threshold), self_label_dataset(views, batch, seed + r),
                          steps, settings.self_label_epochs, settings.self_label_learning_rate)
        stages.append(_score(f"self-label {r}", labels, predict_probs(head, x)[:, 0].argmax(1),
                             time.time() - clock, train=logs))
    probs = predict_probs(head, x)[:, 0]
    return ScanFit(head, probs, neighbours, stages, [float(v) for v in losses], best)


def _head_accuracy(probs: np.ndarray, labels: Optional[np.ndarray]) -> Optional[list]:
    """Every head's accuracy (for the record: the pick is by SCAN loss, never by labels)."""
    if labels is None or not (labels >= 0).any():
        return None
    known = labels >= 0
    return [round(clustering_accuracy(labels[known], probs[known, h].argmax(1)), 4) for h in range(probs.shape[1])]
