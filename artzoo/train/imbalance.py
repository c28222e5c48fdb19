"""A run's imbalance glue: the report at train start, rare classes fixed into the config (cascade heads and
rare-class augmentation), the rare-class augmenter, and the run summary's imbalance-aware scores.

The remedies themselves live where they act: class weights and sampling in `artzoo.data.balance`, focal loss
in `artzoo.models.heads.head_loss`, rare-class augmentation in `artzoo.data.rare_augment`, the cascade in
`artzoo.models.cascade`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Optional

import numpy as np

from artzoo.config import RunConfig
from artzoo.data.augment import build_augmenter
from artzoo.data.imbalance import imbalance_lines, imbalance_report
from artzoo.data.rare_augment import rare_class_table, rare_classes_by_count
from artzoo.errors import ArtzooError


def run_imbalance_report(cfg: RunConfig, counts: dict, classes: dict) -> dict:
    """`imbalance_report` for the run's heads over every split (softmax heads can warn, sigmoid heads not)."""
    multi = {h.name: h.type == "sigmoid" for h in cfg.model.heads}
    return imbalance_report(counts, classes, multi, cfg.data.imbalance_warning)


def print_imbalance(report: dict, train_split: str) -> None:
    """The training split's imbalance, one line per head, and its warnings (stdout, at train start)."""
    for line in imbalance_lines(report, splits=[train_split]):
        print(line, flush=True)


def resolve_rare_classes(cfg: RunConfig, train_counts: dict[str, list[int]], classes: dict) -> RunConfig:
    """Fills `rare_classes` of heads with a cascade or rare-class augmentation that name none, from the
    training counts (`data.rare_below`); checks the names of those that do."""
    heads = []
    for head in cfg.model.heads:
        wants = head.cascade != "none" or head.rare_augment
        if wants and head.type != "softmax":
            raise ArtzooError(f"head {head.name!r}: cascade and rare_augment need a softmax head, not {head.type}")
        if wants and not head.rare_classes:
            rare = rare_classes_by_count(train_counts[head.name], cfg.data.rare_below)
            head = replace(head, rare_classes=tuple(classes[head.name][i] for i in rare))
        if wants:
            rare_class_table(classes[head.name], head.rare_classes)  # unknown names: a clear error
        if head.cascade != "none" and not head.rare_classes:
            raise ArtzooError(f"head {head.name!r}: a cascade needs rare classes and no class has fewer than "
                              f"data.rare_below={cfg.data.rare_below} x the largest class's training items; "
                              f"name them in model.heads.{head.name}.rare_classes")
        heads.append(head)
    return replace(cfg, model=replace(cfg.model, heads=tuple(heads)))


def rare_augmentation(cfg: RunConfig, classes: dict) -> tuple[Optional[object], dict[str, np.ndarray]]:
    """The rare-class augmenter (None when no head asks for it) and, per such head, its rare-class table."""
    tables = {h.name: rare_class_table(classes[h.name], h.rare_classes)
              for h in cfg.model.heads if h.rare_augment}
    if not any(t.any() for t in tables.values()):
        return None, {}
    return build_augmenter(cfg.data.rare_augment, cfg.train.seed + 100), tables


def imbalance_scores(metrics: dict) -> dict:
    """Per split and softmax head: accuracy, macro and weighted F1 side by side, balanced accuracy, recall
    per class and the worst class (scores that show a collapse onto the majority classes)."""
    out = {}
    for split, per_head in metrics.items():
        for head, m in per_head.items():
            if not isinstance(m, dict) or "balanced_accuracy" not in m:
                continue
            recall = {name: round(c["recall"], 4) for name, c in m["per_class"].items()}
            worst = min(recall, key=recall.get) if recall else None
            out.setdefault(split, {})[head] = {
                "accuracy": round(m["accuracy"], 4),
                "macro_f1": round(m["macro"]["f1"], 4),
                "weighted_f1": round(m["weighted"]["f1"], 4),
                "balanced_accuracy": round(m["balanced_accuracy"], 4),
                "per_class_recall": recall,
                "worst_class": worst,
            }
    return out
