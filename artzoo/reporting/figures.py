"""Matplotlib (Agg) figures for run reports: per-head training curves, per-class F1 bars, image grids of the
most confident mistakes, and heat-map overlays (Grad-CAM, self-attention) on sample images."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

_NOT_CURVES = ("epoch", "phase", "learning_rate")


def history_columns_for_head(columns: Sequence[str], head: str, single_head: bool) -> list[str]:
    """The train-side history columns of one head: `<head>_<metric>` in multi-head runs; in a single-head
    run Keras drops the prefix, so every column but the bookkeeping ones."""
    train_cols = [c for c in columns if not c.startswith("val_") and c not in _NOT_CURVES]
    own = [c for c in train_cols if c.startswith(head + "_")]
    if own:
        return own
    return train_cols if single_head else []


def head_training_curves(history_csv: Path, head: str, single_head: bool, out: Path) -> Path | None:
    """One panel per metric of `head` (its loss first), train solid and val dashed, phase changes marked.

    Returns None when the history has no column for the head.
    """
    with open(history_csv) as f:
        rows = list(csv.DictReader(f))
    if not rows:
        return None
    columns = history_columns_for_head(list(rows[0]), head, single_head)
    if not columns:
        return None
    columns.sort(key=lambda c: (not c.endswith("loss"), c))
    epochs = [int(r["epoch"]) + 1 for r in rows]
    phases = [r.get("phase") for r in rows]
    fig, axes = plt.subplots(1, len(columns), figsize=(4.2 * len(columns), 3.3), squeeze=False)
    for ax, col in zip(axes[0], columns):
        for prefix, style in (("", "-o"), ("val_", "--o")):
            if prefix + col in rows[0]:
                values = [float(r[prefix + col]) if r[prefix + col] not in ("", None) else np.nan for r in rows]
                ax.plot(epochs, values, style, ms=3, label=("val" if prefix else "train"))
        for i in range(1, len(phases)):
            if phases[i] != phases[i - 1]:
                ax.axvline(epochs[i] - 0.5, color="grey", lw=0.8, ls=":")
        ax.set_title(col if col.startswith(head + "_") else f"{head}: {col}", fontsize=9)
        ax.set_xlabel("epoch")
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return out


def per_class_f1_bars(per_class: dict, out: Path, title: str = "") -> Path:
    """Horizontal bars of F1 per class, sorted, with support in the label, macro-F1 as a line."""
    names = sorted(per_class, key=lambda n: per_class[n]["f1"])
    f1 = [per_class[n]["f1"] for n in names]
    fig, ax = plt.subplots(figsize=(6.0, 0.32 * len(names) + 1.4))
    bars = ax.barh([f"{n} (n={per_class[n]['support']})" for n in names], f1, color="#4c72b0")
    for bar, value in zip(bars, f1):
        ax.text(min(value + 0.01, 0.93), bar.get_y() + bar.get_height() / 2, f"{value:.2f}", va="center", fontsize=7)
    if names:
        ax.axvline(float(np.mean(f1)), color="#c44e52", ls="--", lw=1, label=f"macro F1 {np.mean(f1):.3f}")
        ax.legend(fontsize=7, loc="lower right")
    ax.set_xlim(0, 1)
    ax.set_xlabel("F1")
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return out


def image_grid(images: Sequence[np.ndarray], captions: Sequence[str], out: Path, title: str = "",
               columns: int = 4) -> Path:
    """Images (uint8 or 0..255 floats) in a grid with a caption under each."""
    n = max(len(images), 1)
    cols = min(columns, n)
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(2.4 * cols, 2.6 * rows + 0.4), squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    for ax, image, caption in zip(axes.ravel(), images, captions):
        ax.imshow(np.clip(np.asarray(image), 0, 255).astype(np.uint8))
        ax.set_title(caption, fontsize=7)
    if title:
        fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return out


def overlay_grid(images: Sequence[np.ndarray], maps: Sequence[np.ndarray], captions: Sequence[str], out: Path,
                 title: str = "", columns: int = 4, alpha: float = 0.45) -> Path:
    """Each image above its heat map (jet, `alpha`) in pairs of rows; maps must have the images' size."""
    n = max(len(images), 1)
    cols = min(columns, n)
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(2 * rows, cols, figsize=(2.4 * cols, 4.8 * rows + 0.4), squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    for i, (image, heat, caption) in enumerate(zip(images, maps, captions)):
        r, c = divmod(i, cols)
        picture = np.clip(np.asarray(image), 0, 255).astype(np.uint8)
        axes[2 * r, c].imshow(picture)
        axes[2 * r, c].set_title(caption, fontsize=7)
        axes[2 * r + 1, c].imshow(picture)
        axes[2 * r + 1, c].imshow(heat, cmap="jet", alpha=alpha, vmin=0, vmax=1)
    if title:
        fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return out


def threshold_bars(thresholds: dict[str, float], out: Path, title: str = "") -> Path:
    """Tuned per-label thresholds against the 0.5 default."""
    names = list(thresholds)
    fig, ax = plt.subplots(figsize=(6.0, 0.32 * len(names) + 1.4))
    bars = ax.barh(names, [thresholds[n] for n in names], color="#55a868")
    for bar, name in zip(bars, names):
        ax.text(min(thresholds[name] + 0.01, 0.9), bar.get_y() + bar.get_height() / 2, f"{thresholds[name]:.3f}",
                va="center", fontsize=7)
    ax.axvline(0.5, color="grey", ls="--", lw=1, label="0.5")
    ax.set_xlim(0, 1)
    ax.set_xlabel("threshold (tuned on val for F2)")
    ax.legend(fontsize=7)
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return out
