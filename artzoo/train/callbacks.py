"""Callbacks of a training phase: phase/learning-rate logging, atomic best-model checkpoint, history CSV,
TensorBoard, early stopping and the backup that lets a killed run resume.

Their order is the order of the epoch-end work, and the backup comes last: it is the commit that says the
epoch finished. A kill before it repeats the epoch on resume (its history row is dropped and rewritten); a
kill after it loses nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence

import keras

from artzoo.config import TrainConfig
from artzoo.run_dir import RunDir
from artzoo.train.backup import AtomicBackupAndRestore
from artzoo.train.checkpoint import AtomicModelCheckpoint, saved_best
from artzoo.train.history import ResumableCSVLogger


class PhaseLogger(keras.callbacks.Callback):
    """Adds the phase number and the current learning rate to each epoch's logs (before CSVLogger reads them)."""

    def __init__(self, phase: int):
        super().__init__()
        self.phase = phase

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["phase"] = self.phase
            lr = self.model.optimizer.learning_rate
            logs["learning_rate"] = float(keras.ops.convert_to_numpy(lr))


class ResumableEarlyStopping(keras.callbacks.EarlyStopping):
    """EarlyStopping that, at the start of a resumed fit, replays the monitored values of the phase's
    epochs already done, so its patience counts from where the interrupted run was."""

    def __init__(self, previous: Sequence[tuple[int, float]] = (), **kwargs):
        super().__init__(**kwargs)
        self.previous = list(previous)

    def on_train_begin(self, logs=None):
        super().on_train_begin(logs)
        for epoch, value in self.previous:
            super().on_epoch_end(epoch, {self.monitor: value})

    def stopped_before(self, model: keras.Model) -> bool:
        """Whether the replayed epochs had already triggered the stop (the kill came right after it)."""
        self.set_model(model)
        model.stop_training = False
        self.on_train_begin()
        stopped, model.stop_training = model.stop_training, False
        return stopped


@dataclass
class PhaseFiles:
    """Where a phase writes (this worker's run directory or scratch copy) and reads (the chief's)."""

    write: RunDir
    read: RunDir
    backup_name: str

    @property
    def backup_dir(self) -> Path:
        return self.write.root / "backup" / self.backup_name

    @property
    def backup_read_dir(self) -> Path:
        return self.read.root / "backup" / self.backup_name


def phase_callbacks(files: PhaseFiles, cfg: TrainConfig, phase: int, first_epoch: int,
                    backup: AtomicBackupAndRestore, previous: Sequence[tuple[int, float]] = (),
                    saves: Optional[keras.Model] = None):
    """The callbacks of one phase, in epoch-end order, and the early-stopping callback (or None).

    Args:
        first_epoch: the epoch this fit starts at (history rows from it on are dropped first).
        backup: the phase's backup callback (from `backup_callback`), already used to restore.
        previous: (epoch, monitored value) of this phase's epochs done before a restart.
        saves: the model the best-model checkpoint writes, when not the fitted one (the full classifier while
            its heads fit on cached embeddings).
    """
    mode = "min" if cfg.monitor.endswith("loss") else "max"
    checkpoint = AtomicModelCheckpoint(
        str(files.write.model_path), monitor=cfg.monitor, mode=mode, save_best_only=True,
        initial_value_threshold=saved_best(files.read.model_path), verbose=0, saves=saves,
    )
    early: Optional[ResumableEarlyStopping] = None
    if cfg.early_stopping_patience > 0:
        early = ResumableEarlyStopping(previous, monitor=cfg.monitor, mode=mode,
                                       patience=cfg.early_stopping_patience, restore_best_weights=False)
    callbacks = [
        PhaseLogger(phase),
        checkpoint,
        ResumableCSVLogger(files.write.history_path, first_epoch),
        keras.callbacks.TensorBoard(str(files.write.tensorboard), histogram_freq=0, profile_batch=0),
        *([early] if early else []),
        backup,
    ]
    return callbacks, early


def backup_callback(files: PhaseFiles) -> AtomicBackupAndRestore:
    """Backup after every epoch, two generations kept; the runner deletes it once the phase is recorded done."""
    return AtomicBackupAndRestore(files.backup_dir, read_dir=files.backup_read_dir, save_freq="epoch",
                                  double_checkpoint=True, delete_checkpoint=False)
