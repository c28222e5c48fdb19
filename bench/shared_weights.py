"""Benchmarks run offline: point Keras's weight cache at ../shared/weights (call before importing keras)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("ARTZOO_SHARED", REPO.parent / "shared"))
if not SHARED.is_dir() and (REPO.parent.parent / "shared").is_dir():  # a git worktree one level deeper
    SHARED = REPO.parent.parent / "shared"


def use_shared_weights() -> Path:
    """Sets KERAS_HOME to a temporary cache holding links to ../shared/weights/*.h5; returns the cache dir.

    Keeps an existing KERAS_HOME that already holds the files.
    """
    home = os.environ.get("KERAS_HOME")
    files = sorted((SHARED / "weights").glob("*.h5"))
    if not files:
        raise SystemExit(f"no weight files in {SHARED / 'weights'}; set ARTZOO_SHARED to the shared folder")
    if home and all((Path(home) / "models" / f.name).is_file() for f in files):
        return Path(home) / "models"
    cache = Path(tempfile.mkdtemp(prefix="artzoo-bench-keras-")) / "models"
    cache.mkdir(parents=True)
    for f in files:
        os.symlink(f, cache / f.name)
    os.environ["KERAS_HOME"] = str(cache.parent)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    return cache
