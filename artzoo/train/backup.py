"""Keras's BackupAndRestore made crash-consistent, multi-worker aware and explicit about what it restored.

Keras 3's callback writes `latest.weights.h5` in place and then `training_metadata.json`: a kill during the
first write corrupts the backup, a kill between the two pairs new weights with an old epoch. Here each
backup is a new weights file (`epoch-0004.weights.h5`, written to a temporary name, then renamed) and the
metadata, replaced atomically afterwards, names it: replacing the metadata is the commit. With
`double_checkpoint` the previous commit stays as `training_metadata.json.bkp` with its weights, and is used
when the latest cannot be read.

While layers are frozen, a backup holds only what a fit changes (`epoch-0004.changing.npz`, see
`artzoo.train.changing_state`): the unfrozen layers' variables and the optimizer's, with a digest of the frozen
ones, which a restore checks (the frozen weights come from the model as built or loaded for the phase).

The weights are serialised in memory and written by plain Python file I/O: h5py writing straight to a full
disk leaves half-closed HDF5 objects behind (seen ending in a segfault), where a Python write fails with a
clean OSError(ENOSPC) that names the file.

In a multi-worker run every worker restores from the chief's backup (`read_dir`, on storage all workers
see) and writes its own backups to `backup_dir`, which for a non-chief worker is a scratch directory.
"""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path
from typing import Optional

import keras

from artzoo import atomic
from artzoo.errors import ArtzooError
from artzoo.train.changing_state import frozen_digest, has_frozen, load_state, state_bytes

METADATA = "training_metadata.json"
PREVIOUS = METADATA + ".bkp"


class AtomicBackupAndRestore(keras.callbacks.BackupAndRestore):
    """BackupAndRestore (same arguments) whose backups survive a kill at any instant.

    Call `restore()` before `fit` to learn the epoch to start from (and pass it as `initial_epoch`); used
    like Keras's callback, `on_train_begin` restores as Keras does.
    """

    def __init__(self, backup_dir, read_dir=None, save_freq="epoch", double_checkpoint=True,
                 delete_checkpoint=True):
        super().__init__(str(backup_dir), save_freq=save_freq, double_checkpoint=double_checkpoint,
                         delete_checkpoint=delete_checkpoint)
        self.read_dir = Path(read_dir or backup_dir)
        self.restored_epoch: Optional[int] = None
        self._restore_attempted = False
        self._digest: Optional[str] = None  # of the frozen weights, which no epoch of this fit changes

    def restore(self, model: keras.Model) -> Optional[int]:
        """Loads the newest readable backup into `model` (weights and optimizer state).

        Returns:
            The epoch to continue from, or None when there is no backup.
        """
        self._restore_attempted = True
        if model.optimizer is not None and not model.optimizer.built:
            model.optimizer.build(model.trainable_variables)  # its state is part of the backup
        errors = []
        for name in (METADATA, PREVIOUS):
            meta_path = self.read_dir / name
            if not meta_path.is_file():
                continue
            try:
                meta = json.loads(meta_path.read_text())
                path = self.read_dir / meta["weights"]
                if path.suffix == ".npz":
                    load_state(model, path.read_bytes())
                else:
                    model.load_weights(path)
            except (OSError, ValueError, KeyError, TypeError) as err:  # unreadable: try the previous one
                errors.append(f"{name}: {str(err).splitlines()[0][:120]}")
                continue
            self.restored_epoch = int(meta["epoch"])
            return self.restored_epoch
        if errors:
            raise ArtzooError(f"backup in {str(self.read_dir)!r} cannot be read ({'; '.join(errors)}); "
                              "delete that folder to restart this phase")
        return None

    def on_train_begin(self, logs=None):
        if not self._restore_attempted:
            epoch = self.restore(self.model)
            if epoch is not None:
                self.model._initial_epoch = epoch  # how Keras's own callback tells fit where to start

    def on_train_end(self, logs=None):
        self.model._initial_epoch = None  # Keras leaves it set, and the next fit would start there too
        if self.delete_checkpoint:
            shutil.rmtree(self.backup_dir, ignore_errors=True)

    def _save_model(self):
        directory = Path(self.backup_dir)
        directory.mkdir(parents=True, exist_ok=True)
        name = f"epoch-{self._current_epoch:04d}"
        if self.save_freq != "epoch":
            name += f"-batch-{self._last_batch_seen:06d}"
        if has_frozen(self.model):
            self._digest = self._digest or frozen_digest(self.model)
            weights = f"{name}.changing.npz"
            atomic.write_bytes(directory / weights, state_bytes(self.model, self._digest))
        else:
            weights = f"{name}.weights.h5"
            atomic.write_bytes(directory / weights, weights_h5_bytes(self.model, weights))
        latest = directory / METADATA
        if self.double_checkpoint and latest.is_file():
            atomic.write_text(directory / PREVIOUS, latest.read_text())
        atomic.write_json(latest, {"epoch": self._current_epoch, "batch": self._last_batch_seen, "weights": weights})
        self._remove_unreferenced(directory)

    @staticmethod
    def _remove_unreferenced(directory: Path) -> None:
        keep = set()
        for name in (METADATA, PREVIOUS):
            try:
                keep.add(json.loads((directory / name).read_text())["weights"])
            except (OSError, ValueError, KeyError, TypeError):
                pass
        for path in [*directory.glob("epoch-*.weights.h5"), *directory.glob("epoch-*.changing.npz")]:
            if path.name not in keep:
                path.unlink(missing_ok=True)


class _NamedBuffer(io.BytesIO):
    """An in-memory file whose str() is a `.weights.h5` name, which `Model.save_weights` asks for."""

    def __init__(self, name: str):
        super().__init__()
        self._name = name

    def __str__(self) -> str:
        return self._name


def weights_h5_bytes(model: keras.Model, name: str = "model.weights.h5") -> bytes:
    """The bytes `model.save_weights(name)` would write (weights and optimizer state, HDF5)."""
    buffer = _NamedBuffer(name)
    model.save_weights(buffer)
    return buffer.getvalue()
