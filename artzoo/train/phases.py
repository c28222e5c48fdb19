"""The two training phases, each a resumable `model.fit`: heads on the frozen backbone, then the top blocks.

A phase that progress.json lists as done is skipped; a phase with a backup continues from its last finished
epoch; phase 2 always starts from phase 1's best model (model.keras), as in an uninterrupted run.
"""

from __future__ import annotations

import contextlib
import math
import shutil
import sys
import time
from dataclasses import dataclass, field
from typing import Callable, Optional

import keras

from artzoo.config import RunConfig, TrainConfig
from artzoo.data.pipeline import fill_caches
from artzoo.errors import ArtzooError
from artzoo.models.heads import head_loss, head_metrics
from artzoo.run_dir import RunDir
from artzoo.train.callbacks import PhaseFiles, backup_callback, phase_callbacks
from artzoo.train.checkpoint import commit_pending
from artzoo.train.finetune import set_phase_trainable
from artzoo.train.history import read_history
from artzoo.train.optimizers import learning_rate_schedule, make_optimizer
from artzoo.train.progress import RunProgress
from artzoo.train.strategy import Distribution, barrier


@dataclass
class Session:
    """One process's view of a run: the chief writes the run directory; another worker writes a scratch
    directory and reads the chief's files (the run directory must be on storage every worker sees)."""

    cfg: RunConfig
    dist: Distribution
    read: RunDir
    write: RunDir
    progress: RunProgress
    verbose: int | str = "auto"
    resumed: list = field(default_factory=list)
    # Set when phase 1 may train the heads on cached embeddings (`artzoo.train.cached_heads`).
    head_inputs: Optional[Callable] = None
    ran: list = field(default_factory=list)  # names of the phases this call fitted, in order

    def save_progress(self) -> None:
        if self.dist.is_chief:
            self.progress.save(self.write.root)

    def note_resume(self, phase: str, epoch: int) -> None:
        self.resumed.append({"phase": phase, "epoch": epoch})
        self.progress.resumes.append({"phase": phase, "epoch": epoch})
        say(f"resuming phase {phase!r} at epoch {epoch} from {self.read.root / 'backup' / phase}")


@dataclass(frozen=True)
class Phase:
    index: int
    name: str
    epochs: int
    learning_rate: float


def say(message: str) -> None:
    """A line about the run itself (resume, skip, worker), shown even with --quiet."""
    print(f"artzoo: {message}", file=sys.stderr, flush=True)


def lr_factor(scale_lr: str, replicas: int) -> float:
    """Learning-rate multiplier for a global batch `replicas` times the per-replica one."""
    return {"none": 1.0, "linear": float(replicas), "sqrt": math.sqrt(replicas)}[scale_lr]


def plan_phases(t: TrainConfig, replicas: int) -> list[Phase]:
    factor = lr_factor(t.scale_lr, replicas)
    phases = [Phase(1, "frozen", t.epochs, t.learning_rate * factor)]
    if t.fine_tune_epochs > 0 and t.fine_tune_blocks > 0:
        phases.append(Phase(2, "fine_tune", t.fine_tune_epochs, t.fine_tune_learning_rate * factor))
    if all(p.epochs <= 0 for p in phases):
        raise ArtzooError("training would run no epoch (train.epochs and train.fine_tune_epochs are 0)")
    return phases


def fit_phases(session: Session, model: keras.Model, train_ds, val_ds, steps: int) -> dict[str, float]:
    """Runs the phases not yet done; returns the seconds each phase took (in the call that finished it)."""
    epoch = 0
    for phase in plan_phases(session.cfg.train, session.dist.replicas):
        done = session.progress.phase_done(phase.name)
        if done is not None:
            epoch = done
            shutil.rmtree(PhaseFiles(session.write, session.read, phase.name).backup_dir, ignore_errors=True)
            continue
        if phase.epochs <= 0:
            continue
        epoch = _run_phase(session, model, phase, epoch, train_ds, val_ds, steps)
        session.ran.append(phase.name)
    return {name: state.get("seconds") for name, state in session.progress.phases.items()}


def _run_phase(session: Session, model, phase: Phase, epoch: int, train_ds, val_ds, steps: int) -> int:
    """Fits one phase from its backup (or from `epoch`); returns the epoch after its last one."""
    cfg, strategy, started = session.cfg, session.dist.strategy, time.time()
    _prepare_weights(session, model, phase)
    files = PhaseFiles(session.write, session.read, phase.name)
    backup = backup_callback(files)
    fitted, saves = model, None
    if phase.name == "frozen" and session.head_inputs is not None:
        # Heads on cached embeddings: fit the head model (sharing the classifier's head layers) on vectors
        # computed once; the checkpoint still saves the whole classifier.
        with strategy.scope():
            compile_model(model, cfg, phase.learning_rate, steps, phase.epochs)  # so model.keras carries it
            model.optimizer.build(model.trainable_variables)  # saved with the slots a reload expects
            inputs = session.head_inputs(model)
        say(f"embedded the train and val images once in {inputs.seconds:.1f} s")
        fitted, saves, train_ds, val_ds = inputs.model, model, inputs.train, inputs.val
    with strategy.scope():
        compile_model(fitted, cfg, phase.learning_rate, steps, phase.epochs)
        restored = backup.restore(fitted)
    first = epoch if restored is None else restored
    if restored is not None:
        session.note_resume(phase.name, restored)
    previous = _previous_values(session.read, phase.index, first, cfg.train.monitor)
    callbacks, early = phase_callbacks(files, cfg.train, phase.index, first, backup, previous, saves=saves)
    end = epoch + phase.epochs
    if first < end and session.dist.kind != "none":
        fill_caches(train_ds, val_ds)  # before Keras's throwaway iterators can truncate a cold cache
    if first < end and not (early and early.stopped_before(fitted)):
        history = fitted.fit(train_ds, validation_data=val_ds, initial_epoch=first, epochs=end, shuffle=False,
                             callbacks=callbacks, verbose=session.verbose)
        first += len(history.epoch)
    commit_pending(files.write.model_path, model)  # a best epoch a killed run left pending (fit commits its own)
    session.progress.phases[phase.name] = {"next_epoch": first, "seconds": round(time.time() - started, 1)}
    session.save_progress()
    shutil.rmtree(files.backup_dir, ignore_errors=True)  # only after progress.json says the phase is done
    with contextlib.suppress(OSError):
        files.backup_dir.parent.rmdir()  # backup/ itself, once no phase has one
    return first


def _prepare_weights(session: Session, model, phase: Phase) -> None:
    cfg = session.cfg
    if phase.name == "frozen":
        set_phase_trainable(model, cfg.model.backbone, cfg.model.weights, "frozen", cfg.train.fine_tune_blocks)
        return
    barrier(session.dist)  # every worker loads the best model only once the chief has written it
    if session.read.model_path.is_file():
        with session.dist.strategy.scope():
            model.load_weights(session.read.model_path)  # continue from phase 1's best epoch
    set_phase_trainable(model, cfg.model.backbone, cfg.model.weights, "fine_tune", cfg.train.fine_tune_blocks)


def _previous_values(run: RunDir, phase: int, before: int, monitor: str) -> list[tuple[int, float]]:
    """(epoch, monitored value) of the phase's epochs already in history.csv, for early stopping."""
    _, rows = read_history(run.history_path)
    out = []
    for row in rows:
        epoch = int(row["epoch"])
        if epoch < before and _as_float(row.get("phase")) == phase and _as_float(row.get(monitor)) is not None:
            out.append((epoch, _as_float(row[monitor])))
    return out


def _as_float(text):
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def compile_model(model, cfg: RunConfig, learning_rate, steps: int, epochs: int) -> None:
    t = cfg.train
    schedule = learning_rate_schedule(learning_rate, t.schedule, steps, epochs, t.step_epochs, t.decay_rate)
    num_classes = {h.name: model.get_layer(h.name).units for h in cfg.model.heads}
    model.compile(
        optimizer=make_optimizer(schedule, t.clipnorm),
        loss={h.name: head_loss(h) for h in cfg.model.heads},
        loss_weights={h.name: h.loss_weight for h in cfg.model.heads},
        # Weighted, so items whose label is missing for a head (sample weight 0) do not count in its metrics.
        weighted_metrics={h.name: head_metrics(h, num_classes[h.name]) for h in cfg.model.heads},
        jit_compile={"auto": "auto", "on": True, "off": False}[t.jit_compile],
        steps_per_execution=t.steps_per_execution,
    )
