"""Callbacks of a training phase: history CSV (with the phase), best-model checkpoint, TensorBoard, early stop."""

from __future__ import annotations

from typing import Optional

import keras

from artzoo.config import TrainConfig
from artzoo.run_dir import RunDir


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


def phase_callbacks(run: RunDir, cfg: TrainConfig, phase: int, best_so_far: Optional[float] = None):
    """The callbacks for one phase, and the checkpoint callback (whose `.best` carries to the next phase)."""
    mode = "min" if cfg.monitor.endswith("loss") else "max"
    checkpoint = keras.callbacks.ModelCheckpoint(
        str(run.model_path), monitor=cfg.monitor, mode=mode, save_best_only=True,
        initial_value_threshold=best_so_far, verbose=0,
    )
    callbacks = [
        PhaseLogger(phase),
        keras.callbacks.CSVLogger(str(run.history_path), append=True),
        checkpoint,
        keras.callbacks.TensorBoard(str(run.tensorboard), histogram_freq=0, profile_batch=0),
    ]
    if cfg.early_stopping_patience > 0:
        callbacks.append(keras.callbacks.EarlyStopping(
            monitor=cfg.monitor, mode=mode, patience=cfg.early_stopping_patience, restore_best_weights=False))
    return callbacks, checkpoint
