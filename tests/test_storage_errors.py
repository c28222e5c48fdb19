"""OS errors a user can cause (full disk, read-only folder, a file where a folder is needed, exports onto odd
paths) are one line naming the path, exit status 2, or 1 when a run saved work it can resume from; nothing
saved before is lost. Faults are injected at a chosen write (the machine has no small disk to fill)."""

import errno
import json
import os
import tempfile
from pathlib import Path

import keras
import numpy as np
import pytest

from conftest import LOUVRE, copy_subset, requires_shared

from artzoo import atomic
from artzoo.cli import main
from artzoo.config import load_task_config
from artzoo.models.classifier import build_classifier
from artzoo.run_dir import RunDir
from artzoo.train.history import read_history


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.strip().splitlines() if line.startswith("artzoo: error")]


def fail_fsync_of(monkeypatch, name: str, code: int = errno.ENOSPC) -> list:
    """os.fsync fails with `code` for the temporary file of `name` (written, not yet flushed to disk): a disk
    that fills up during that write. Returns the list of failures, to check the fault was hit."""
    real, hits = os.fsync, []

    def fsync(fd):
        if f".{name}." in os.readlink(f"/proc/self/fd/{fd}"):
            hits.append(name)
            raise OSError(code, os.strerror(code))
        return real(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    return hits


@pytest.fixture(scope="module")
def tiny_louvre(tmp_path_factory):
    if not LOUVRE.exists():
        pytest.skip(f"{LOUVRE} not present")
    return copy_subset(LOUVRE, tmp_path_factory.mktemp("tiny_louvre"), {"train": 4, "val": 2})


def train_args(data: Path, run: Path) -> list[str]:
    return ["train", "--task", "genre", "--data-dir", str(data), "--backbone", "cnn3", "--weights", "none",
            "--image-size", "32", "--batch-size", "8", "--epochs", "3", "--fine-tune-epochs", "0",
            "--run-dir", str(run), "--no-export", "--quiet", "--set", "data.augment.flip=false"]


@requires_shared(LOUVRE)
def test_disk_full_mid_run_stops_with_one_line_and_the_rerun_resumes(tiny_louvre, tmp_path, monkeypatch, capsys):
    run = tmp_path / "run"
    hits = fail_fsync_of(monkeypatch, "epoch-0002.weights.h5")  # the backup that commits epoch 1
    assert main(train_args(tiny_louvre, run)) == 1
    monkeypatch.undo()
    assert hits
    err = capsys.readouterr().err
    backup = run / "backup" / "frozen"
    assert error_lines(err) == [
        f"artzoo: error: {str(backup / 'epoch-0002.weights.h5')!r}: No space left on device; free some space and "
        f"run the command again; the finished epochs are kept in {str(run)!r}: rerun the same command to continue"]
    assert "Traceback" not in err
    # Kept: epoch 0's backup (committed), the best model, the history; no temporary file left behind.
    assert json.loads((backup / "training_metadata.json").read_text())["weights"] == "epoch-0001.weights.h5"
    assert sorted(p.name for p in backup.iterdir()) == ["epoch-0001.weights.h5", "training_metadata.json"]
    kept = keras.models.load_model(run / "model.keras", safe_mode=True)
    probs = kept.predict(np.random.default_rng(0).uniform(0, 255, (2, 32, 32, 3)).astype("float32"), verbose=0)
    assert probs["genre"].shape == (2, 4) and np.allclose(probs["genre"].sum(axis=1), 1, atol=1e-4)
    assert [r["epoch"] for r in read_history(run / "history.csv")[1]] in (["0"], ["0", "1"])

    assert main(train_args(tiny_louvre, run)) == 0
    captured = capsys.readouterr()
    assert "resuming phase 'frozen' at epoch 1" in captured.err and "(resumed)" in captured.out
    assert [r["epoch"] for r in read_history(run / "history.csv")[1]] == ["0", "1", "2"]
    assert not (run / "backup").exists()


@requires_shared(LOUVRE)
def test_disk_full_before_anything_was_saved_is_exit_2(tiny_louvre, tmp_path, monkeypatch, capsys):
    run = tmp_path / "run"
    fail_fsync_of(monkeypatch, "config.yaml")
    assert main(train_args(tiny_louvre, run)) == 2
    assert error_lines(capsys.readouterr().err) == [
        f"artzoo: error: {str(run / 'config.yaml')!r}: No space left on device; free some space and run the "
        "command again"]


def test_read_only_run_directory_is_one_line(tmp_path, monkeypatch, capsys):
    folder = tmp_path / "readonly"
    folder.mkdir()
    if os.geteuid() != 0:
        folder.chmod(0o555)
    else:  # root writes anywhere: refuse the temporary files in that folder as a read-only one would
        real = tempfile.mkstemp

        def mkstemp(*args, dir=None, **kwargs):
            if dir is not None and Path(dir) == folder:
                raise PermissionError(errno.EACCES, "Permission denied", str(folder / ".xyz.tmp"))
            return real(*args, dir=dir, **kwargs)

        monkeypatch.setattr(atomic.tempfile, "mkstemp", mkstemp)
    code = main(train_args(tmp_path / "no-data", folder))
    folder.chmod(0o755)
    assert code == 2
    assert error_lines(capsys.readouterr().err) == [
        f"artzoo: error: {str(folder / '.artzoo-run')!r}: Permission denied; check its permissions or choose "
        "another path"]


@pytest.fixture(scope="module")
def small_run(tmp_path_factory):
    """A run directory as training leaves it, with a tiny untrained cnn3 model (export needs no training)."""
    root = tmp_path_factory.mktemp("small_run")
    cfg = load_task_config("genre", {"model.backbone": "cnn3", "model.weights": "none", "data.image_size": 32,
                                     "run_dir": str(root / "run"), "export.dir": str(root / "exports")})
    run = RunDir.create(cfg.run_dir, cfg.task)
    run.save_config(cfg)
    classes = {"genre": ["Genre", "Landscape", "Naturmort", "Portrait"]}
    run.write_json(run.labels_path, classes)
    build_classifier(cfg.model, classes, 32).save(run.model_path)
    return run


@pytest.mark.parametrize("out, fmt, message", [
    ("afile", "saved_model", "export folder {out!r} is a file; versions go into a folder (choose another --out)"),
    ("/", "saved_model", "export folder '/' is the root of the file system; give a folder named after the model"),
    (".", "keras", "--out '.' is a folder; --format keras writes one file: give a file path"),
    ("..", "tflite", "--out '..' is a folder; --format tflite writes one file: give a file path"),
    ("afile/sub", "saved_model", "{out!r}: Not a directory; a part of that path is a file where a folder is needed"),
])
def test_export_onto_a_file_the_root_or_a_folder_is_one_line(small_run, tmp_path, monkeypatch, capsys, out, fmt,
                                                             message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "afile").write_text("x")
    before = sorted(p.name for p in tmp_path.parent.iterdir())
    assert main(["export", str(small_run.root), "--format", fmt, "--out", out]) == 2
    lines = error_lines(capsys.readouterr().err)
    assert len(lines) == 1 and lines[0].startswith("artzoo: error: " + message.format(out=out)), lines
    assert (tmp_path / "afile").read_text() == "x" and sorted(p.name for p in tmp_path.parent.iterdir()) == before


def test_disk_full_during_an_export_keeps_the_previous_version(small_run, monkeypatch, capsys):
    base = Path(small_run.config().export.dir) / "genre"
    assert main(["export", str(small_run.root)]) == 0
    first = base / "1"
    assert capsys.readouterr().out.strip() == f"exported saved_model: {first}"
    before = (first / "saved_model.pb").read_bytes()
    fail_fsync_of(monkeypatch, "artzoo.json")  # the last file of the export, written after the SavedModel
    assert main(["export", str(small_run.root)]) == 2
    monkeypatch.undo()
    # The file was inside the hidden temporary folder of the export: the line names the export folder.
    assert error_lines(capsys.readouterr().err) == [
        f"artzoo: error: {str(base)!r}: No space left on device; free some space and run the command again"]
    assert sorted(p.name for p in base.iterdir()) == ["1"]  # no version 2, no temporary folder
    assert (first / "saved_model.pb").read_bytes() == before


def test_library_calls_raise_a_storage_error_that_is_still_an_oserror(small_run, monkeypatch):
    from artzoo.errors import StorageError
    from artzoo.export.exporter import export_run_dir

    base = Path(small_run.config().export.dir) / "genre"
    fail_fsync_of(monkeypatch, "artzoo.json", errno.EDQUOT)
    with pytest.raises(OSError) as err:
        export_run_dir(small_run.root)
    assert isinstance(err.value, StorageError) and err.value.errno == errno.EDQUOT
    assert str(err.value) == (f"{str(base)!r}: Disk quota exceeded; "
                              "free some space (disk quota) and run the command again")
