"""The class pairs a softmax head mixes up most, from a confusion matrix: both directions added, so "Impressionism
<-> Post-Impressionism" counts every painting of either taken for the other."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from artzoo.reporting.report_html import Section, heading, paragraph, table


def confused_pairs(confusion: Sequence[Sequence[int]], names: Sequence[str], n: int = 5) -> list[dict]:
    """The `n` unordered pairs (a, b) with most mistakes between them, most first (ties: class order).

    Each: `a`, `b`, `a_as_b` (true a predicted b), `b_as_a`, `total`, and `share`: total over the images of a
    and b (how much of the pair's images the mix-up costs)."""
    m = np.asarray(confusion, dtype=np.int64)
    support = m.sum(axis=1)
    pairs = []
    for i in range(len(names)):
        for j in range(i + 1, len(names)):
            total = int(m[i, j] + m[j, i])
            if total:
                share = total / max(int(support[i] + support[j]), 1)
                pairs.append({"a": names[i], "b": names[j], "a_as_b": int(m[i, j]), "b_as_a": int(m[j, i]),
                              "total": total, "share": round(share, 4)})
    return sorted(pairs, key=lambda p: -p["total"])[:n]


def confused_pairs_section(metrics: dict, n: int = 5) -> Section:
    """One table per split and softmax head of its most confused pairs."""
    blocks = []
    for split, per_head in metrics.items():
        for head, m in per_head.items():
            if "confusion_matrix" not in m:
                continue
            pairs = confused_pairs(m["confusion_matrix"], m["class_names"], n)
            rows = [[f"{p['a']} ↔ {p['b']}", p["a_as_b"], p["b_as_a"], p["total"], f"{100 * p['share']:.1f} %"]
                    for p in pairs]
            blocks.append(heading(3, f"{split} - {head}"))
            blocks.append(table(["pair (a ↔ b)", "a taken for b", "b taken for a", "both", "of their images"], rows,
                                caption=f"the {len(rows)} most confused pairs") if rows
                          else paragraph("no mistakes", note=True))
    if not blocks:
        blocks.append(paragraph("no softmax head with a confusion matrix", note=True))
    return Section("Most confused class pairs", "confused-pairs", blocks)
