"""A killed or interrupted run continues where it stopped: same command, same --run-dir, each epoch once."""

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import keras
import numpy as np
import pytest

from conftest import REPO, run_cli

from artzoo.config import load_task_config
import artzoo.models.layers  # noqa: F401  (registers the custom layers model.keras holds)
from artzoo.errors import ArtzooError
from artzoo.train import phases
from artzoo.train.history import keep_epochs_before, read_history
from artzoo.train.runner import train


def history_epochs(run: Path) -> list[int]:
    return [int(r["epoch"]) for r in read_history(run / "history.csv")[1]]


def history_text_rows(run: Path) -> list[str]:
    return (run / "history.csv").read_text().splitlines()[1:]


# --- in-process: an interrupted run ends bit-identical to an uninterrupted one ----------------------------

class Interrupted(Exception):
    pass


class InterruptAt(keras.callbacks.Callback):
    """Raises after batch `batch` of epoch `epoch`: a crash in the middle of an epoch."""

    def __init__(self, epoch: int, batch: int):
        super().__init__()
        self.at, self.epoch = (epoch, batch), None

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if (self.epoch, batch) == self.at:
            raise Interrupted(self.at)


def exact_cfg(data_dir: Path, run: Path, **extra):
    """No shuffle, augmentation or dropout: the result depends only on the restored state."""
    overrides = {
        "data.data_dir": str(data_dir), "model.backbone": "mobilenet_2_5", "model.weights": "imagenet",
        "data.image_size": 32, "data.batch_size": 8, "train.epochs": 2, "train.fine_tune_epochs": 1,
        "train.fine_tune_blocks": 2, "train.learning_rate": 3e-3, "run_dir": str(run), "export.enabled": False,
        "data.shuffle_buffer": 1, "data.augment.flip": False, "data.augment.rotation": 0, "data.augment.zoom": 0,
        "data.augment.contrast": 0, "model.heads.genre.dropout": 0.0, **extra,
    }
    return load_task_config("genre", overrides)


def train_until_interrupted(cfg, monkeypatch, epoch: int, batch: int) -> None:
    original = phases.phase_callbacks

    def with_interrupt(*args, **kwargs):
        callbacks, early = original(*args, **kwargs)
        return callbacks + [InterruptAt(epoch, batch)], early

    with monkeypatch.context() as m:
        m.setattr(phases, "phase_callbacks", with_interrupt)
        with pytest.raises(Interrupted):
            train(cfg, verbose=0)


@pytest.fixture(scope="module")
def uninterrupted(louvre_small, tmp_path_factory):
    run = tmp_path_factory.mktemp("uninterrupted") / "run"
    assert train(exact_cfg(louvre_small, run), verbose=0).outcome == "trained"
    return run


def test_interrupted_twice_ends_identical_to_uninterrupted(uninterrupted, louvre_small, tmp_path, monkeypatch):
    run = tmp_path / "run"
    cfg = exact_cfg(louvre_small, run)
    train_until_interrupted(cfg, monkeypatch, epoch=1, batch=3)  # mid phase 1: epoch 0 is backed up
    assert history_epochs(run) == [0]
    # Mid epoch 2, the first of phase 2: phase 1 is done, phase 2 has no backup yet, so the rerun must
    # start phase 2 from phase 1's best model, as the uninterrupted run did.
    train_until_interrupted(cfg, monkeypatch, epoch=2, batch=2)
    progress = json.loads((run / "progress.json").read_text())
    assert progress["phases"]["frozen"]["next_epoch"] == 2 and "fine_tune" not in progress["phases"]
    assert progress["resumes"] == [{"phase": "frozen", "epoch": 1}]

    assert train(cfg, verbose=0).outcome == "resumed"
    assert history_epochs(run) == [0, 1, 2]
    assert history_text_rows(run) == history_text_rows(uninterrupted)
    a = keras.models.load_model(uninterrupted / "model.keras")
    b = keras.models.load_model(run / "model.keras")
    assert all(np.array_equal(x, y) for x, y in zip(a.get_weights(), b.get_weights()))
    digests = [json.loads((r / "run.json").read_text())["final_weights_sha256"] for r in (run, uninterrupted)]
    assert digests[0] == digests[1]
    # Not vacuous: training moved the weights (phase 2 changed what phase 1 left).
    losses = [float(r["loss"]) for r in read_history(run / "history.csv")[1]]
    assert len(set(losses)) == 3
    assert not (run / "backup").exists()


def test_finished_run_is_not_retrained_and_other_config_is_refused(uninterrupted, louvre_small, capsys):
    before = (uninterrupted / "history.csv").read_bytes()
    result = train(exact_cfg(louvre_small, uninterrupted), verbose=0)
    assert result.outcome == "already_finished"
    assert "holds a finished run; nothing to do" in capsys.readouterr().err
    assert (uninterrupted / "history.csv").read_bytes() == before
    with pytest.raises(ArtzooError, match=r"another config \(train.epochs: 2 -> 3\)"):
        train(exact_cfg(louvre_small, uninterrupted, **{"train.epochs": 3}), verbose=0)


def test_history_drops_repeated_epochs_and_a_torn_line(tmp_path):
    path = tmp_path / "history.csv"
    path.write_bytes(b"epoch,loss,phase\r\n0,1.5,1\r\n1,1.4,1\r\n2,1.3,1\r\n3,1.2")  # torn last line
    assert [r["epoch"] for r in read_history(path)[1]] == ["0", "1", "2"]
    kept = keep_epochs_before(path, 2)
    assert [r["loss"] for r in kept] == ["1.5", "1.4"]
    assert path.read_bytes() == b"epoch,loss,phase\r\n0,1.5,1\r\n1,1.4,1\r\n"  # CSVLogger's line ends kept


# --- a real process, killed with SIGKILL in the middle of an epoch -----------------------------------------

def _committed_epoch(backup: Path):
    try:
        return json.loads((backup / "training_metadata.json").read_text())["epoch"]
    except (OSError, ValueError, KeyError):
        return None


def _kill_mid_epoch(proc: subprocess.Popen, backup: Path, epoch: int, timeout: float = 600) -> float:
    """Waits for the backups of epochs `epoch - 1` and `epoch` (so epoch `epoch` is running and one epoch's
    duration is known), waits half an epoch more, and SIGKILLs the process. Returns the epoch duration."""
    seen, deadline = {}, time.time() + timeout
    while epoch not in seen:
        assert proc.poll() is None, proc.communicate()[1][-3000:]
        assert time.time() < deadline, "training did not reach the epoch"
        committed = _committed_epoch(backup)
        if committed is not None and committed not in seen:
            seen[committed] = time.monotonic()
        time.sleep(0.01)
    duration = seen[epoch] - seen.get(epoch - 1, seen[epoch] - 2.0)
    time.sleep(duration / 2)
    proc.send_signal(signal.SIGKILL)
    proc.communicate()
    return duration


def test_sigkill_mid_epoch_then_the_same_command_resumes_there(louvre_small, tmp_path):
    run = tmp_path / "run"
    args = ["train", "--task", "genre", "--data-dir", str(louvre_small), "--backbone", "cnn3", "--weights", "none",
            "--image-size", "96", "--batch-size", "4", "--epochs", "2", "--fine-tune-epochs", "4",
            "--run-dir", str(run), "--no-export", "--quiet"]
    proc = subprocess.Popen([sys.executable, "-m", "artzoo", *args], cwd=REPO, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    backup = run / "backup" / "fine_tune"
    _kill_mid_epoch(proc, backup, epoch=4)  # phase 1 = epochs 0-1; phase 2 = 2-5; aimed at the middle of epoch 4
    assert proc.returncode == -signal.SIGKILL
    committed = _committed_epoch(backup)  # epochs the backup holds; on a loaded machine the kill may land later
    assert committed in (4, 5), committed
    # The history may already hold the row of the epoch being killed (written just before its backup).
    assert history_epochs(run) in (list(range(committed)), list(range(committed + 1)))
    rows_before = history_text_rows(run)[:committed]

    result = run_cli(*args)
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"resuming phase 'fine_tune' at epoch {committed}" in result.stderr
    assert "resuming phase 'frozen'" not in result.stderr  # phase 1 was done: skipped, not retrained
    assert "(resumed)" in result.stdout
    assert history_epochs(run) == [0, 1, 2, 3, 4, 5]  # each epoch exactly once
    assert history_text_rows(run)[:committed] == rows_before
    progress = json.loads((run / "progress.json").read_text())
    assert progress["finished"] and progress["resumes"] == [{"phase": "fine_tune", "epoch": committed}]
    model = keras.models.load_model(run / "model.keras", safe_mode=True)
    probs = model.predict(np.random.default_rng(0).uniform(0, 255, (3, 96, 96, 3)).astype("float32"), verbose=0)
    assert probs["genre"].shape == (3, 4) and np.allclose(probs["genre"].sum(axis=1), 1, atol=1e-4)
    assert not (run / "backup").exists()


# --- smaller pieces of resuming ------------------------------------------------------------------------------

def test_early_stopping_counts_patience_across_a_restart():
    from artzoo.train.callbacks import ResumableEarlyStopping

    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    # Epochs 0-2 ran before the kill; epoch 1 was the best, epoch 2 used one unit of patience 2.
    early = ResumableEarlyStopping([(0, 1.0), (1, 0.8), (2, 0.9)], monitor="val_loss", mode="min", patience=2)
    assert not early.stopped_before(model)
    early.on_train_begin()
    early.on_epoch_end(3, {"val_loss": 0.85})  # second epoch without improvement: stop now, as unkilled
    assert model.stop_training

    already = ResumableEarlyStopping([(0, 1.0), (1, 1.1), (2, 1.2)], monitor="val_loss", mode="min", patience=2)
    assert already.stopped_before(model)  # killed right after the stop, before the phase was recorded done
    assert not model.stop_training


# An export after a kill (neither repeated nor skipped, never another run's): tests/test_export_versions.py
