"""A small real Louvre-4 subset for benchmarks: the first N paintings of each class of train and val."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from bench.shared_weights import SHARED

LOUVRE = SHARED / "data" / "louvre_genre"


def louvre_subset(train_per_class: int, val_per_class: int) -> Path:
    """A temporary `train/<class>/`, `val/<class>/` folder (sorted file order, so reruns pick the same files)."""
    root = Path(tempfile.mkdtemp(prefix="artzoo-bench-louvre-"))
    for split, n in (("train", train_per_class), ("val", val_per_class)):
        for class_dir in sorted(p for p in (LOUVRE / split).iterdir() if p.is_dir()):
            out = root / split / class_dir.name
            out.mkdir(parents=True)
            for f in sorted(class_dir.iterdir())[:n]:
                shutil.copy(f, out / f.name)
    return root
