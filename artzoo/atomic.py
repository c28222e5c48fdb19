"""Atomic writes: write beside the target, then rename, so a crash never leaves a half-written file.

An OSError raised while writing (a full disk, a read-only folder) names the target path, so the user's
one-line error says which file could not be written (`artzoo.errors.storage_error`).
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
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


@contextlib.contextmanager
def naming(path: str | os.PathLike):
    """Re-raises an OSError that names no file (zipfile, h5py, a writer's own buffer) or only a temporary one
    as one naming `path`, the file the user knows."""
    try:
        yield
    except OSError as err:
        unnamed = err.filename is None or ".tmp" in os.fsdecode(err.filename)
        if unnamed and err.errno is not None and not isinstance(err, FileExistsError):
            raise OSError(err.errno, err.strerror or os.strerror(err.errno), str(path)) from err
        raise


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
    with naming(target):
        fd, tmp = tempfile.mkstemp(prefix=".", suffix=f".tmp.{target.name}", dir=target.parent)
    os.close(fd)
    _usual_mode(tmp)
    try:
        with naming(target):
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
        raise FileExistsError(errno.EEXIST, "already exists", str(target))
    target.parent.mkdir(parents=True, exist_ok=True)
    with naming(target):
        fd, tmp = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=f".tmp{target.suffix}", dir=target.parent)
    os.close(fd)
    os.unlink(tmp)  # writers such as model.save want to create the file themselves
    try:
        with naming(target):
            yield Path(tmp)
            os.link(tmp, target)  # atomic, and fails if target appeared meanwhile
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


@contextlib.contextmanager
def new_directory(target: str | os.PathLike):
    """Yields a temporary directory beside `target`; renames it to `target` if the block succeeds.

    Refuses to replace an existing `target` (e.g. an existing SavedModel version), also one that appears
    while the block runs (`rename_no_replace`).
    """
    target = Path(target)
    if target.exists():
        raise FileExistsError(errno.EEXIST, "already exists", str(target))
    with staged_directory(target.parent, target.name) as tmp:
        yield tmp
        rename_no_replace(tmp, target)


@contextlib.contextmanager
def staged_directory(parent: str | os.PathLike, name: str):
    """Yields a new hidden temporary directory in `parent` (created if needed) to be published by renaming
    it (`rename_no_replace`); whatever is left of it when the block ends, by failure or not, is removed."""
    parent = Path(parent)
    parent.mkdir(parents=True, exist_ok=True)
    with naming(parent):
        tmp = Path(tempfile.mkdtemp(prefix=f".{name}.", suffix=".tmp", dir=parent))
    _usual_mode(tmp, directory=True)
    try:
        with naming(parent):
            yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


_RENAME_NOREPLACE = 1
_AT_FDCWD = -100


def rename_no_replace(source: str | os.PathLike, target: str | os.PathLike) -> None:
    """Renames `source` to `target` unless `target` exists (FileExistsError), atomically: two processes
    publishing the same name cannot both succeed (Linux renameat2 RENAME_NOREPLACE; elsewhere a check
    before os.rename, which for a folder still fails on a non-empty target)."""
    renameat2 = getattr(_libc(), "renameat2", None)
    if renameat2 is not None:
        if renameat2(_AT_FDCWD, os.fsencode(source), _AT_FDCWD, os.fsencode(target), _RENAME_NOREPLACE) == 0:
            return
        code = ctypes.get_errno()
        if code not in (errno.ENOSYS, errno.EINVAL):  # else: the file system lacks the flag
            raise OSError(code, os.strerror(code), str(target))
    if os.path.lexists(target):
        raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), str(target))
    try:
        os.rename(source, target)
    except OSError as err:
        if err.errno == errno.ENOTEMPTY:
            raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), str(target)) from None
        raise


_LIBC = []


def _libc():
    if not _LIBC:
        try:
            _LIBC.append(ctypes.CDLL(None, use_errno=True))
        except OSError:
            _LIBC.append(None)
    return _LIBC[0]


def write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Writes `data` to a temporary file beside `path`, syncs it, and renames it onto `path`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with naming(path):
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    _usual_mode(tmp)
    try:
        with naming(path), os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
