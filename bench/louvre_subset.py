"""A small real Louvre-4 subset for benchmarks: the first N paintings of each class of train and val."""

from __future__ import annotations

import tempfile
from pathlib import Path

from artzoo.data.folders import copy_subset
from bench.shared_weights import SHARED

LOUVRE = SHARED / "data" / "louvre_genre"


def louvre_subset(train_per_class: int, val_per_class: int) -> Path:
    """A temporary `train/<class>/`, `val/<class>/` folder (sorted file order, so reruns pick the same files)."""
    root = Path(tempfile.mkdtemp(prefix="artzoo-bench-louvre-"))
    return copy_subset(LOUVRE, root, {"train": train_per_class, "val": val_per_class})
