"""Matplotlib (Agg) figures for runs: training curves and confusion matrices."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def training_curves(history_csv: Path, out: Path) -> Path:
    """Loss and accuracy per epoch (train and val), one panel each, phase boundary marked."""
    with open(history_csv) as f:
        rows = list(csv.DictReader(f))
    epochs = [int(r["epoch"]) + 1 for r in rows]
    keys = [k for k in rows[0] if k not in ("epoch", "phase", "learning_rate") and not k.startswith("val_")]
    panels = sorted({("loss" if k.endswith("loss") else k.rsplit("_", 1)[-1]) for k in keys})
    fig, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels), 3.6), squeeze=False)
    for ax, panel in zip(axes[0], panels):
        for key in [k for k in keys if k == panel or k.endswith("_" + panel)]:
            for prefix, style in (("", "-"), ("val_", "--")):
                if prefix + key in rows[0]:
                    ax.plot(epochs, [float(r[prefix + key]) for r in rows], style, label=prefix + key)
        phases = [r.get("phase") for r in rows]
        for i in range(1, len(phases)):
            if phases[i] != phases[i - 1]:
                ax.axvline(epochs[i] - 0.5, color="grey", lw=0.8, ls=":")
        ax.set_xlabel("epoch")
        ax.set_title(panel)
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


def confusion_matrix(matrix: Sequence[Sequence[int]], class_names: Sequence[str], out: Path, title: str = "") -> Path:
    """Row-normalised confusion matrix (recall per true class) with raw counts in each cell."""
    counts = np.asarray(matrix, dtype=np.float64)
    norm = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    n = len(class_names)
    fig, ax = plt.subplots(figsize=(1.1 * n + 2.5, 1.0 * n + 2))
    im = ax.imshow(norm, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(n), class_names, rotation=45, ha="right")
    ax.set_yticks(range(n), class_names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    for i in range(n):
        for j in range(n):
            ax.text(j, i, f"{norm[i, j]:.2f}\n({int(counts[i, j])})", ha="center", va="center", fontsize=8,
                    color="white" if norm[i, j] > 0.5 else "black")
    fig.colorbar(im, ax=ax, fraction=0.046)
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out
