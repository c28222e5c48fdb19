"""The run directory: everything a training run leaves behind, under fixed names.

A run directory is owned: `create` makes it with a marker file (`.artzoo-run`) and refuses a folder that
exists and is neither empty nor an artzoo run, before touching anything in it, so user files are never
overwritten or deleted. A run from before the marker existed is recognised by its config.yaml and labels.json.
While a run trains, `artzoo.run_lock` keeps a second process out of its directory.
"""

from __future__ import annotations

import datetime as dt
import errno
import json
import os
from pathlib import Path
from typing import Optional

from artzoo import atomic
from artzoo.config import RunConfig, load_config_file, save_config
from artzoo.errors import ArtzooError

MARKER = ".artzoo-run"


class RunDir:
    """Paths and readers for one run: config.yaml, labels.json, data.json, history.csv, tensorboard/,
    model.keras (best epoch), metrics.json, plots/, run.json (timings, parameters, export)."""

    def __init__(self, root: str | Path):
        self.root = Path(root)

    @classmethod
    def create(cls, path: Optional[str], task: str) -> "RunDir":
        """The run directory `path` (default `runs/<task>-<time>`), made and marked as a run if new or empty.

        Raises ArtzooError, touching nothing, when `path` is a file or a folder holding anything but a run.
        """
        run = cls(path or default_path(task))
        run.claim(task)
        run.plots.mkdir(exist_ok=True)
        return run

    @classmethod
    def open(cls, path: str | Path) -> "RunDir":
        run = cls(path)
        if not run.config_path.is_file():
            raise ArtzooError(f"run directory {str(path)!r} has no config.yaml; is it an artzoo run?")
        return run

    config_path = property(lambda self: self.root / "config.yaml")
    labels_path = property(lambda self: self.root / "labels.json")
    data_path = property(lambda self: self.root / "data.json")
    history_path = property(lambda self: self.root / "history.csv")
    model_path = property(lambda self: self.root / "model.keras")
    metrics_path = property(lambda self: self.root / "metrics.json")
    summary_path = property(lambda self: self.root / "run.json")
    marker_path = property(lambda self: self.root / MARKER)
    tensorboard = property(lambda self: self.root / "tensorboard")
    plots = property(lambda self: self.root / "plots")

    def claim(self, task: str) -> bool:
        """Makes the folder an artzoo run (see `create`); returns whether it was new or empty."""
        check_ownable(self.root)
        if self.is_run():
            if not self.marker_path.is_file():  # a run from before the marker: mark it now
                self._write_marker(task)
            return False
        self.root.mkdir(parents=True, exist_ok=True)
        if not self.is_run():  # another process may have claimed it in between: then it is a run
            self._write_marker(task)
        return True

    def is_run(self) -> bool:
        """Whether the folder holds an artzoo run: the marker, or (older runs) a readable config.yaml beside
        labels.json, the two files every run writes first."""
        if self.marker_path.is_file():
            return True
        if not (self.config_path.is_file() and self.labels_path.is_file()):
            return False
        try:
            self.config()
        except ArtzooError:
            return False
        return True

    def _write_marker(self, task: str) -> None:
        atomic.write_json(self.marker_path, {"artzoo_run": 1, "task": task,
                                             "created": dt.datetime.now().isoformat(timespec="seconds")})

    def save_config(self, cfg: RunConfig) -> None:
        save_config(cfg, self.config_path)

    def config(self) -> RunConfig:
        return load_config_file(self.config_path)

    def classes(self) -> dict[str, list[str]]:
        return self.read_json(self.labels_path)

    def write_json(self, path: Path, obj) -> None:
        atomic.write_json(path, obj)

    def read_json(self, path: Path) -> dict:
        if not path.is_file():
            raise ArtzooError(f"{str(path)!r} is missing; did the run finish?")
        return json.loads(path.read_text())

    def update_summary(self, **fields) -> dict:
        summary = self.read_json(self.summary_path) if self.summary_path.is_file() else {}
        summary.update(fields)
        self.write_json(self.summary_path, summary)
        return summary


def default_path(task: str) -> str:
    return f"runs/{task}-{dt.datetime.now().strftime('%Y%m%d-%H%M%S')}"


def check_ownable(root: Path) -> None:
    """Raises ArtzooError when `root` cannot become or continue a run: a file, or a foreign non-empty folder."""
    if not os.path.lexists(root):
        return
    if not root.is_dir():
        raise ArtzooError(f"run directory {str(root)!r} is a file, not a folder; choose another --run-dir")
    try:
        entries = sorted(p.name for p in root.iterdir())
    except OSError as err:
        if err.errno in (errno.EACCES, errno.EPERM):
            raise ArtzooError(f"run directory {str(root)!r} cannot be read ({err.strerror}); "
                              "check its permissions or choose another --run-dir") from None
        raise
    if entries and not RunDir(root).is_run():
        shown = ", ".join(entries[:4]) + (f" and {len(entries) - 4} more" if len(entries) > 4 else "")
        raise ArtzooError(f"run directory {str(root)!r} exists and is not an artzoo run (it holds {shown}); "
                          "nothing was changed: choose a new or empty --run-dir")
