"""What a training call hands back (`TrainedRun`) and how it stops on an OS error (`stops_resumably`); shared by
the shared-model trainer (`runner`) and specialists mode."""

from __future__ import annotations

import contextlib

from artzoo.errors import StorageError, as_user_error, storage_error
from artzoo.run_dir import RunDir
from artzoo.train.progress import PROGRESS_FILE


class TrainedRun(RunDir):
    """A run directory and what this call did with it.

    `outcome`: "trained" (a new run), "resumed" (continued an interrupted one), "already_finished" (nothing
    to do) or "worker" (a non-chief worker: its part is done, the chief writes the results).
    """

    def __init__(self, root, outcome: str):
        super().__init__(root)
        self.outcome = outcome


@contextlib.contextmanager
def stops_resumably(run: RunDir):
    """An OS error (full disk, permissions) becomes one line naming the path; when the run had saved work,
    exit status 1 and how to resume."""
    try:
        yield
    except Exception as err:
        user = as_user_error(err)
        if not isinstance(user, StorageError):
            raise
        saved = any(p.exists() for p in (run.root / PROGRESS_FILE, run.root / "backup", run.model_path))
        if not saved:
            raise user from err
        raise storage_error(user, exit_code=1, note=f"the finished epochs are kept in {str(run.root)!r}: "
                                                    "rerun the same command to continue") from err
