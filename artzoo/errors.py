"""The one exception type for mistakes a user can make (bad config, missing data, unknown name), and the one
place where operating-system errors (permissions, full disk, a file where a folder should be) and the TFDS
builders' own `tfds_builders.errors.BuilderError` become such one-line errors."""

from __future__ import annotations

import errno as errnos
import functools
import os
import sys
from typing import Callable, Optional, TypeVar

from tfds_builders.errors import BuilderError

F = TypeVar("F", bound=Callable)


class ArtzooError(Exception):
    """A user-facing error: the message is one line naming the bad value and what was expected.

    The CLI prints it without a traceback and exits with `exit_code`: 2, or 1 where partial work was saved
    (e.g. a training run stopped by a full disk, resumable by rerunning the same command).
    """

    exit_code = 2

    def __init__(self, message: str = "", exit_code: Optional[int] = None):
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code


class StorageError(ArtzooError, OSError):
    """An operating-system error on a path, as one line naming the path and what to do.

    Still an `OSError` (with `errno` and `filename`), so library callers that catch OSError keep working.
    """

    def __init__(self, message: str, errno: Optional[int] = None, filename: Optional[str] = None,
                 exit_code: Optional[int] = None):
        ArtzooError.__init__(self, message, exit_code)
        self.errno, self.filename = errno, filename

    def __str__(self) -> str:
        return str(self.args[0])


def choice_error(what: str, value, allowed) -> ArtzooError:
    """Builds the standard 'unknown X' error listing the allowed values."""
    allowed_text = ", ".join(str(a) for a in allowed)
    return ArtzooError(f"unknown {what} {value!r}; expected one of: {allowed_text}")


_ADVICE = {
    errnos.ENOSPC: "free some space and run the command again",
    errnos.EDQUOT: "free some space (disk quota) and run the command again",
    errnos.EACCES: "check its permissions or choose another path",
    errnos.EPERM: "check its permissions or choose another path",
    errnos.EROFS: "choose a path on a writable file system",
    errnos.ENOTDIR: "a part of that path is a file where a folder is needed",
    errnos.EISDIR: "that path is a folder where a file is needed",
    errnos.EEXIST: "it already exists and is never overwritten; choose another path",
    errnos.ENOTEMPTY: "it already exists and is never overwritten; choose another path",
    errnos.ENOENT: "it does not exist",
    errnos.ENAMETOOLONG: "choose a shorter path",
    errnos.ELOOP: "it is a loop of symbolic links",
}
# TensorFlow's file system layer reports OS errors as status codes; these name a path problem, never a bug.
_TF_STORAGE_ERRORS = ("PermissionDeniedError", "AlreadyExistsError")
_TF_STORAGE_TEXT = ("No space left on device", "Read-only file system", "Not a directory", "Is a directory",
                    "Disk quota exceeded", "Permission denied")


def storage_error(err: OSError, exit_code: Optional[int] = None, note: str = "") -> StorageError:
    """One line for an OSError: the path, the system's reason and what to do (plus `note`)."""
    if isinstance(err, StorageError):
        message = str(err)
    else:
        reason = err.strerror or str(err) or type(err).__name__
        where = f"{os.fsdecode(err.filename)!r}: " if err.filename is not None else ""
        if err.filename2 is not None:
            where = f"{os.fsdecode(err.filename)!r} -> {os.fsdecode(err.filename2)!r}: "
        advice = _ADVICE.get(err.errno)
        message = f"{where}{reason}" + (f"; {advice}" if advice else "")
    if note:
        message += f"; {note}"
    code = exit_code if exit_code is not None else getattr(err, "exit_code", 2)
    return StorageError(message, err.errno, None if err.filename is None else os.fsdecode(err.filename), code)


def as_user_error(err: BaseException) -> Optional[ArtzooError]:
    """The user-facing form of `err`: itself for an ArtzooError, an ArtzooError with the same line for a
    builder's `BuilderError`, a StorageError for an OSError or a TensorFlow file-system error; None for anything
    else (a bug, shown with its traceback)."""
    if isinstance(err, ArtzooError) and not isinstance(err, OSError):
        return err
    if isinstance(err, BuilderError):
        return ArtzooError(str(err))
    if isinstance(err, OSError):
        return storage_error(err)
    tf_errors = sys.modules.get("tensorflow.python.framework.errors_impl")
    if tf_errors is not None and isinstance(err, tf_errors.OpError):
        message = str(getattr(err, "message", err)).strip().splitlines()
        first = message[0] if message else type(err).__name__
        if type(err).__name__ in _TF_STORAGE_ERRORS or any(text in first for text in _TF_STORAGE_TEXT):
            return StorageError(first)
    return None


def storage_errors_as_user_errors(fn: F) -> F:
    """Decorates a library entry point: an OSError (or TensorFlow file-system error) on the way leaves it as a
    `StorageError`, one line naming the path; still an OSError, so callers catching OSError keep working."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except Exception as err:
            user = None if isinstance(err, ArtzooError) else as_user_error(err)
            if isinstance(user, StorageError):
                raise user from err
            raise

    return wrapper  # type: ignore[return-value]
