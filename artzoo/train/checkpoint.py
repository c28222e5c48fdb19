"""The best-model checkpoint, written atomically and remembering its best value across phases and restarts."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Optional

import keras

from artzoo import atomic
from artzoo.train.backup import weights_h5_bytes


def state_path(model_path: str | Path) -> Path:
    """`model.keras` -> `model.keras.json`: the monitored value and epoch of the saved model."""
    return Path(f"{model_path}.json")


def saved_best(model_path: str | Path) -> Optional[float]:
    """The monitored value of the model saved at `model_path`, or None when there is none yet."""
    path = state_path(model_path)
    if not path.is_file() or not Path(model_path).is_file():
        return None
    try:
        best = json.loads(path.read_text())["best"]
    except (ValueError, KeyError, TypeError):
        return None
    return float(best) if best is not None and math.isfinite(best) else None


class AtomicModelCheckpoint(keras.callbacks.ModelCheckpoint):
    """ModelCheckpoint whose file is never half-written: the model goes to a temporary file beside the
    target, is flushed, then renamed over it (`os.replace`). A crash, a kill or a failing writer leaves the
    previous checkpoint in place and loadable.

    After each save, `<file>.json` records the monitored value, so a resumed run (or the next phase, which
    starts from `saved_best(...)` as `initial_value_threshold`) only replaces the model with a better one.
    """

    def __init__(self, *args, saves: Optional[keras.Model] = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.saves = saves  # the model to write, when it is not the one being fitted (heads on cached embeddings)

    def _save_model(self, epoch, batch, logs):
        filepath = self._get_file_path(epoch, batch, logs)
        if not self._should_save_model(epoch, batch, logs, filepath):
            return
        model = self.saves if self.saves is not None else self.model
        if self.save_weights_only:  # HDF5 serialised in memory, written by Python (see train/backup.py)
            atomic.write_bytes(filepath, weights_h5_bytes(model, Path(filepath).name))
        else:
            with atomic.replacing(filepath) as tmp:
                model.save(str(tmp), overwrite=True)
        best = None if self.best is None else float(self.best)
        atomic.write_json(state_path(filepath), {"monitor": self.monitor, "best": best, "epoch": epoch})
