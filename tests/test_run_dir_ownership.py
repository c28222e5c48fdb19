"""A run directory is owned and locked: a folder that is not a run is refused untouched; a second process on a
running run's directory exits 2 naming the holder's pid; a lock left by a killed run is recognised as stale."""

import errno
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import LOUVRE, REPO, copy_subset, requires_shared, run_cli

from artzoo import run_lock
from artzoo.cli import main
from artzoo.errors import ArtzooError
from artzoo.run_dir import MARKER, RunDir
from artzoo.run_lock import LOCK_FILE, RunLock


@pytest.fixture(scope="module")
def tiny_louvre(tmp_path_factory):
    if not LOUVRE.exists():
        pytest.skip(f"{LOUVRE} not present")
    return copy_subset(LOUVRE, tmp_path_factory.mktemp("tiny_louvre"), {"train": 4, "val": 2})


def train_args(data: Path, run: Path, *extra: str) -> list[str]:
    return ["train", "--task", "genre", "--data-dir", str(data), "--backbone", "cnn3", "--weights", "none",
            "--image-size", "32", "--batch-size", "8", "--epochs", "2", "--fine-tune-epochs", "0",
            "--run-dir", str(run), "--no-export", "--quiet", *extra]


def snapshot(root: Path) -> dict:
    return {str(p.relative_to(root)): (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(root.rglob("*"))
            if p.is_file()}


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.strip().splitlines() if line.startswith("artzoo: error")]


def test_a_folder_that_is_not_a_run_is_refused_untouched(tmp_path, capsys):
    folder = tmp_path / "mine"
    (folder / "backup" / "frozen").mkdir(parents=True)
    for name, text in (("notes.txt", "my notes"), ("history.csv", "epoch,loss\n0,1\n"), ("model.keras", "mine"),
                       ("backup/frozen/todo.txt", "todo")):
        (folder / name).write_text(text)
    before = snapshot(folder)
    # The data folder does not even exist: the run directory is refused before any data is read.
    assert main(train_args(tmp_path / "no-data", folder)) == 2
    err = capsys.readouterr().err
    assert error_lines(err) == [
        f"artzoo: error: run directory {str(folder)!r} exists and is not an artzoo run (it holds backup, "
        "history.csv, model.keras, notes.txt); nothing was changed: choose a new or empty --run-dir"]
    assert "Traceback" not in err
    assert snapshot(folder) == before and sorted(p.name for p in folder.iterdir()) == [
        "backup", "history.csv", "model.keras", "notes.txt"]


def test_a_file_or_a_path_through_a_file_is_one_line(tmp_path, capsys):
    afile = tmp_path / "afile"
    afile.write_text("x")
    assert main(train_args(tmp_path / "no-data", afile)) == 2
    assert error_lines(capsys.readouterr().err) == [
        f"artzoo: error: run directory {str(afile)!r} is a file, not a folder; choose another --run-dir"]
    assert main(train_args(tmp_path / "no-data", afile / "run")) == 2
    assert error_lines(capsys.readouterr().err) == [
        f"artzoo: error: {str(afile / 'run')!r}: Not a directory; a part of that path is a file where a folder "
        "is needed"]
    assert afile.read_text() == "x"


def test_empty_new_and_older_run_folders_are_accepted(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert RunDir(empty).claim("genre") is True and (empty / MARKER).is_file()
    assert RunDir(tmp_path / "new" / "run").claim("genre") is True
    older = tmp_path / "older"  # a run from before the marker: config.yaml and labels.json
    older.mkdir()
    (older / "config.yaml").write_text("task: genre\n")
    (older / "labels.json").write_text('{"genre": ["a", "b"]}')
    assert RunDir(older).claim("genre") is False and (older / MARKER).is_file()
    bad_config = tmp_path / "bad"  # a config.yaml that is not artzoo's does not make a run
    bad_config.mkdir()
    (bad_config / "config.yaml").write_text("name: my experiment\n")
    (bad_config / "labels.json").write_text("{}")
    with pytest.raises(ArtzooError, match="exists and is not an artzoo run"):
        RunDir(bad_config).claim("genre")


def test_a_stale_lock_of_a_dead_pid_is_taken_over_and_a_live_one_refuses(tmp_path, capsys):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (tmp_path / LOCK_FILE).write_text(f"{dead.pid} {os.uname().nodename}\n")
    lock = RunLock(tmp_path)
    lock.acquire()
    assert f"had a stale lock of pid {dead.pid}" in capsys.readouterr().err
    assert (tmp_path / LOCK_FILE).read_text().split()[0] == str(os.getpid())
    with pytest.raises(ArtzooError, match=f"is in use by pid {os.getpid()}; wait for it to finish"):
        RunLock(tmp_path).acquire()  # a second lock on the same file (as a second process would take)
    lock.release()
    assert (tmp_path / LOCK_FILE).read_text() == ""  # released: names nobody, so nothing stale is left
    RunLock(tmp_path).acquire()


@pytest.mark.parametrize("holder_alive", [True, False])
def test_without_flock_the_pid_in_the_lock_file_decides(tmp_path, monkeypatch, holder_alive):
    def no_flock(fd, operation):
        raise OSError(errno.ENOLCK, "No locks available")

    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        if not holder_alive:
            other.kill()
            other.wait()
        (tmp_path / LOCK_FILE).write_text(f"{other.pid} {os.uname().nodename}\n")
        monkeypatch.setattr(run_lock.fcntl, "flock", no_flock)
        if holder_alive:
            with pytest.raises(ArtzooError, match=f"in use by pid {other.pid}"):
                RunLock(tmp_path).acquire()
        else:
            RunLock(tmp_path).acquire()
            assert (tmp_path / LOCK_FILE).read_text().split()[0] == str(os.getpid())
    finally:
        other.kill()
        other.wait()


def test_a_run_that_fails_before_writing_leaves_no_folder(tmp_path, capsys):
    run = tmp_path / "runs" / "genre-1"
    assert main(train_args(tmp_path / "no-data", run)) == 2
    assert "data folder" in capsys.readouterr().err
    assert not run.exists()


@requires_shared(LOUVRE)
def test_second_process_on_a_running_run_exits_2_and_a_killed_runs_lock_is_stale(tiny_louvre, tmp_path, capsys):
    run = tmp_path / "run"
    args = train_args(tiny_louvre, run)
    args[args.index("--epochs") + 1] = "500"  # long enough to be caught running; killed below
    first = subprocess.Popen([sys.executable, "-m", "artzoo", *args], cwd=REPO, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.time() + 300
        while not _lock_names(run, first.pid):
            assert first.poll() is None, first.communicate()[1][-3000:]
            assert time.time() < deadline, "the first run never took its lock"
            time.sleep(0.05)
        second = run_cli(*args)
        assert first.poll() is None  # still running: the refusal was the lock's, not a finished run's
        assert second.returncode == 2
        assert error_lines(second.stderr) == [
            f"artzoo: error: run directory {str(run)!r} is in use by pid {first.pid}; wait for it to finish or "
            "choose another --run-dir"]
        assert "Traceback" not in second.stderr
    finally:
        first.send_signal(signal.SIGKILL)
        first.communicate()
    assert _lock_names(run, first.pid)  # the killed run's pid is still in the file...
    lock = RunLock(run)
    lock.acquire()  # ...but the kernel dropped its flock: the next run takes over and says so
    assert f"had a stale lock of pid {first.pid}" in capsys.readouterr().err
    lock.release()


def _lock_names(run: Path, pid: int) -> bool:
    try:
        return (run / LOCK_FILE).read_text().split()[:1] == [str(pid)]
    except OSError:
        return False
