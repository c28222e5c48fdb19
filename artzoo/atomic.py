"""Atomic writes: write beside the target, then rename, so a crash never leaves a half-written file."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from pathlib import Path


def _umask() -> int:
    # Read, not os.umask(0)-and-back: that would briefly change it for every thread of the process.
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    return 0o022


def _usual_mode(path: str | os.PathLike, directory: bool = False) -> None:
    """mkstemp/mkdtemp create 0600/0700; give the file or folder the mode a plain open/mkdir would, so a
    served SavedModel or a shared run directory stays readable by others."""
    os.chmod(path, (0o777 if directory else 0o666) & ~_umask())


def write_text(path: str | os.PathLike, text: str) -> None:
    write_bytes(path, text.encode())


@contextlib.contextmanager
def replacing(target: str | os.PathLike):
    """Yields a temporary path beside `target` for a writer that takes a path (Keras `save`, `save_weights`).

    When the block succeeds the file is flushed to disk and renamed onto `target` (`os.replace`, atomic on
    POSIX); when it fails the temporary file is removed and `target` is untouched. The temporary name ends
    with `target`'s name, so writers that check the extension (`.keras`, `.weights.h5`) accept it.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".", suffix=f".tmp.{target.name}", dir=target.parent)
    os.close(fd)
    _usual_mode(tmp)
    try:
        yield Path(tmp)
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_json(path: str | os.PathLike, obj) -> None:
    write_text(path, json.dumps(obj, indent=2, default=_jsonable) + "\n")


def _jsonable(value):
    if hasattr(value, "tolist"):
        return value.tolist()
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


@contextlib.contextmanager
def new_file(target: str | os.PathLike):
    """Yields a temporary path beside `target` (same suffix) for a writer that wants a file name; publishes it
    as `target` if the block succeeds. Never replaces an existing `target` (the link fails instead)."""
    target = Path(target)
    if target.exists():
        raise FileExistsError(f"{target} already exists")
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=f".tmp{target.suffix}", dir=target.parent)
    os.close(fd)
    os.unlink(tmp)  # writers such as model.save want to create the file themselves
    try:
        yield Path(tmp)
        os.link(tmp, target)  # atomic, and fails if target appeared meanwhile
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


@contextlib.contextmanager
def new_directory(target: str | os.PathLike):
    """Yields a temporary directory beside `target`; renames it to `target` if the block succeeds.

    Refuses to replace an existing `target` (e.g. an existing SavedModel version).
    """
    target = Path(target)
    if target.exists():
        raise FileExistsError(f"{target} already exists")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    _usual_mode(tmp, directory=True)
    try:
        yield tmp
        os.rename(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Writes `data` to a temporary file beside `path`, syncs it, and renames it onto `path`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    _usual_mode(tmp)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
