"""How skewed the labels are: counts per class and split, imbalance ratio, majority share, and a warning when
one class dominates a softmax head (the Met study's network learned to predict only its two big classes).

The report is plain data (it goes into a run's `data.json`); `imbalance_lines` renders it for people.
"""

from __future__ import annotations

from typing import Optional, Sequence

import numpy as np

from artzoo.errors import ArtzooError


def head_imbalance(counts: Sequence[int], class_names: Sequence[str], threshold: float = 0.5,
                   multi_label: bool = False) -> dict:
    """Imbalance of one head on one split.

    Args:
        counts: labelled items per class (for multi-label heads: items carrying each tag).
        class_names: the head's classes, in the order of `counts`.
        threshold: warn when the largest class holds more than this share of the labelled items.
        multi_label: shares of tags do not add up to one item each, so no majority warning is given.

    Returns:
        counts by class, total, majority class and share, minority class, imbalance ratio (largest / smallest
        non-empty class), empty classes, and `warning` (a sentence, or None).
    """
    if not 0.0 < threshold <= 1.0:
        raise ArtzooError(f"data.imbalance_warning must be a share in (0, 1], got {threshold}")
    counts = np.asarray(counts, dtype=np.int64)
    total = int(counts.sum())
    present = np.flatnonzero(counts > 0)
    report = {
        "counts": {name: int(n) for name, n in zip(class_names, counts)},
        "total": total,
        "majority_class": None, "majority_share": None, "minority_class": None, "imbalance_ratio": None,
        "empty_classes": [class_names[i] for i in np.flatnonzero(counts == 0)],
        "warning": None,
    }
    if not len(present):
        return report
    big = int(present[np.argmax(counts[present])])
    small = int(present[np.argmin(counts[present])])
    report.update(
        majority_class=class_names[big],
        majority_share=round(float(counts[big]) / total, 4),
        minority_class=class_names[small],
        imbalance_ratio=round(float(counts[big]) / float(counts[small]), 2),
    )
    if not multi_label and report["majority_share"] > threshold:
        report["warning"] = (f"class {class_names[big]!r} holds {report['majority_share']:.0%} of the items "
                             f"(above {threshold:.0%}); a plain classifier may learn to predict it alone")
    return report


def imbalance_report(counts: dict[str, dict[str, list[int]]], classes: dict[str, list[str]],
                     multi_label: Optional[dict[str, bool]] = None, threshold: float = 0.5) -> dict:
    """`head_imbalance` for every split and head of `counts` (split -> head -> items per class).

    Returns:
        `{"threshold", "splits": {split: {head: report}}, "warnings": ["split/head: ..."]}`.
    """
    multi_label = multi_label or {}
    splits, warnings = {}, []
    for split, per_head in counts.items():
        splits[split] = {}
        for head, head_counts in per_head.items():
            report = head_imbalance(head_counts, classes[head], threshold, multi_label.get(head, False))
            splits[split][head] = report
            if report["warning"]:
                warnings.append(f"{split}/{head}: {report['warning']}")
    return {"threshold": threshold, "splits": splits, "warnings": warnings}


def imbalance_lines(report: dict, splits: Optional[Sequence[str]] = None) -> list[str]:
    """One line per split and head: total, majority share, ratio, empty classes; then the warnings."""
    lines = []
    for split, per_head in report["splits"].items():
        if splits is not None and split not in splits:
            continue
        for head, r in per_head.items():
            lines.append(f"{split}/{head}: " + summary_text(r))
    lines += [f"warning: imbalance in {w}" for w in report["warnings"]
              if splits is None or w.split("/", 1)[0] in splits]
    return lines


def summary_text(r: dict) -> str:
    """`N items, largest 'a' 42%, smallest 'b', ratio 20.0` (+ empty classes)."""
    if r["majority_class"] is None:
        return f"{r['total']} labelled items"
    text = (f"{r['total']} labelled, largest {r['majority_class']!r} {r['majority_share']:.0%}, "
            f"smallest {r['minority_class']!r}, imbalance ratio {r['imbalance_ratio']:g}")
    if r["empty_classes"]:
        text += f", {len(r['empty_classes'])} empty: " + ", ".join(r["empty_classes"][:5])
    return text
