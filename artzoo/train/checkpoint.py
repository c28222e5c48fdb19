"""The best-model checkpoint, written atomically and remembering its best value across phases and restarts.

While layers are frozen, an improvement writes only what changed (`model.keras.pending-0003.npz`: the unfrozen
variables and the optimizer's, see `artzoo.train.changing_state`), then its record `model.keras.pending.json`
naming it (replacing the record is the commit); the full `model.keras` is written once, at the phase's end
(`commit_pending`), from that snapshot. A run killed in between finds the pending snapshot on resume: its value
is the best to beat, and the phase commits it.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Optional

import keras

from artzoo import atomic
from artzoo.errors import ArtzooError
from artzoo.train.backup import weights_h5_bytes
from artzoo.train.changing_state import current_values, frozen_digest, has_frozen, load_state, put_back, state_bytes


def state_path(model_path: str | Path) -> Path:
    """`model.keras` -> `model.keras.json`: the monitored value and epoch of the saved model."""
    return Path(f"{model_path}.json")


def pending_record(model_path: str | Path) -> Path:
    """`model.keras.pending.json`: the best epoch not yet written as `model_path`, naming its snapshot."""
    return Path(f"{model_path}.pending.json")


def _pending(model_path: str | Path) -> tuple[Optional[dict], Optional[Path]]:
    """The pending record and its snapshot file, or (None, None) when there is no readable pair."""
    try:
        record = json.loads(pending_record(model_path).read_text())
        snapshot = Path(model_path).parent / record["snapshot"]
    except (OSError, ValueError, KeyError, TypeError):
        return None, None
    return (record, snapshot) if snapshot.is_file() else (None, None)


def _remove_pending(model_path: str | Path) -> None:
    pending_record(model_path).unlink(missing_ok=True)
    for path in Path(model_path).parent.glob(f"{Path(model_path).name}.pending-*.npz"):
        path.unlink(missing_ok=True)


def saved_best(model_path: str | Path) -> Optional[float]:
    """The monitored value of the best model saved at `model_path` (or pending for it), None when none yet."""
    record, _ = _pending(model_path)
    if record is None:
        path = state_path(model_path)
        if not path.is_file() or not Path(model_path).is_file():
            return None
        try:
            record = json.loads(path.read_text())
        except ValueError:
            return None
    best = record.get("best") if isinstance(record, dict) else None
    return float(best) if isinstance(best, (int, float)) and math.isfinite(best) else None


def commit_pending(model_path: str | Path, model: keras.Model) -> bool:
    """Writes `model_path` from a pending snapshot (the model's own values put back after), then removes the
    snapshot; False when there is none."""
    record, snapshot = _pending(model_path)
    if record is None:
        _remove_pending(model_path)  # a snapshot whose record was never written: not a commit
        return False
    values = current_values(model)
    try:
        load_state(model, snapshot.read_bytes())
        with atomic.replacing(model_path) as tmp:
            model.save(str(tmp), overwrite=True)
    except ValueError as err:
        raise ArtzooError(f"best-epoch snapshot {str(snapshot)!r} does not fit the model ({err}); delete it "
                          "to continue from the last written model.keras") from None
    finally:
        put_back(model, values)
    record.pop("snapshot")
    atomic.write_json(state_path(model_path), record)  # the record now describes model.keras
    _remove_pending(model_path)
    return True


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
        self._digest: Optional[str] = None  # of the frozen weights, which no epoch of this fit changes

    def on_train_end(self, logs=None):
        commit_pending(self.filepath, self.saves if self.saves is not None else self.model)

    def _save_model(self, epoch, batch, logs):
        filepath = self._get_file_path(epoch, batch, logs)
        if not self._should_save_model(epoch, batch, logs, filepath):
            return
        model = self.saves if self.saves is not None else self.model
        best = None if self.best is None else float(self.best)
        record = {"monitor": self.monitor, "best": best, "epoch": epoch}
        if not self.save_weights_only and has_frozen(model):  # the full model is written at the phase's end
            self._digest = self._digest or frozen_digest(model)
            snapshot = f"{Path(filepath).name}.pending-{epoch:04d}.npz"
            atomic.write_bytes(Path(filepath).parent / snapshot, state_bytes(model, self._digest))
            previous, _ = _pending(filepath)
            atomic.write_json(pending_record(filepath), {**record, "snapshot": snapshot})
            if previous and previous["snapshot"] != snapshot:
                (Path(filepath).parent / previous["snapshot"]).unlink(missing_ok=True)
            return
        if self.save_weights_only:  # HDF5 serialised in memory, written by Python (see train/backup.py)
            atomic.write_bytes(filepath, weights_h5_bytes(model, Path(filepath).name))
        else:
            with atomic.replacing(filepath) as tmp:
                model.save(str(tmp), overwrite=True)
        atomic.write_json(state_path(filepath), record)
