"""One process at a time in a run directory: an `fcntl.flock` on `<run>/.artzoo-lock`, held for the run's life.

The lock file names its holder (`pid host`). The kernel drops a flock when its process dies, so a lock left by
a killed run never blocks: the next run takes it and says that the pid it names is gone. On a file system
without flock (some network mounts) the pid decides: a live process on this host keeps the directory, a dead
one's lock is stale and taken over. The file is emptied, never deleted, on release: deleting it would let two
processes lock two different files of the same name.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import shutil
import socket
import sys
from pathlib import Path
from typing import Iterator, Optional

from artzoo.errors import ArtzooError
from artzoo.run_dir import MARKER, RunDir

LOCK_FILE = ".artzoo-lock"
_NO_FLOCK = (errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EINVAL, errno.ENOSYS)


class RunLock:
    """The lock of one run directory; `acquire` raises ArtzooError "in use by pid N" when another process
    holds it."""

    def __init__(self, root: str | Path):
        self.path = Path(root) / LOCK_FILE
        self._fd: Optional[int] = None

    def acquire(self) -> None:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            self._lock(fd)
            previous = _holder(fd)
            if previous and previous != _me() and not _alive(previous):
                print(f"artzoo: {self.path.parent} had a stale lock of pid {previous[0]} on {previous[1]} "
                      "(no longer running); taking it over", file=sys.stderr, flush=True)
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()} {socket.gethostname()}\n".encode(), 0)
            os.fsync(fd)
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd

    def _lock(self, fd: int) -> None:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            raise self._in_use(_holder(fd)) from None
        except OSError as err:
            if err.errno not in _NO_FLOCK:
                raise
        holder = _holder(fd)  # no flock here: trust a live pid
        if holder and holder != _me() and _alive(holder):
            raise self._in_use(holder)

    def _in_use(self, holder) -> ArtzooError:
        who = f"pid {holder[0]}" + ("" if holder[1] == socket.gethostname() else f" on {holder[1]}") \
            if holder else "another process"
        return ArtzooError(f"run directory {str(self.path.parent)!r} is in use by {who}; wait for it to finish "
                           "or choose another --run-dir")

    def release(self) -> None:
        if self._fd is None:
            return
        with contextlib.suppress(OSError):
            os.ftruncate(self._fd, 0)  # no holder named: nothing stale left behind
        os.close(self._fd)  # closing drops the flock
        self._fd = None


@contextlib.contextmanager
def holding_run(path: Optional[str], task: str) -> Iterator[RunDir]:
    """Creates or reopens the run directory (`RunDir.create`: foreign folders refused) and holds its lock
    while the block runs. If the block fails before writing anything, a folder made here is removed again."""
    root = Path(path) if path else None
    existed = root is not None and os.path.lexists(root)
    run = RunDir.create(path, task)
    lock = RunLock(run.root)
    lock.acquire()
    try:
        yield run
    except BaseException:
        _remove_if_unused(run, existed)  # still holding the lock, so no other process is inside meanwhile
        raise
    finally:
        lock.release()


def _remove_if_unused(run: RunDir, existed: bool) -> None:
    """Undoes `RunDir.create` when the run wrote nothing (e.g. its data could not be loaded)."""
    try:
        entries = {p.name for p in run.root.iterdir()}
        if entries - {MARKER, LOCK_FILE, "plots"} or any(run.plots.iterdir()):
            return
        shutil.rmtree(run.plots, ignore_errors=True)
        for name in (LOCK_FILE, MARKER):
            (run.root / name).unlink(missing_ok=True)
        if not existed:
            run.root.rmdir()
    except OSError:
        pass  # best effort: what is left is an empty, marked run directory


def _me() -> tuple[int, str]:
    return os.getpid(), socket.gethostname()


def _holder(fd: int) -> Optional[tuple[int, str]]:
    """(pid, host) named in the lock file, or None when it names nobody."""
    try:
        text = os.pread(fd, 256, 0).decode(errors="replace").split()
        return int(text[0]), (text[1] if len(text) > 1 else socket.gethostname())
    except (OSError, ValueError, IndexError):
        return None


def _alive(holder: tuple[int, str]) -> bool:
    """Whether the holder still runs; a process on another host is assumed to."""
    pid, host = holder
    if host != socket.gethostname():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
