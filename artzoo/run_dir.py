"""The run directory: everything a training run leaves behind, under fixed names."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Optional

from artzoo import atomic
from artzoo.config import RunConfig, load_config_file, save_config
from artzoo.errors import ArtzooError


class RunDir:
    """Paths and readers for one run: config.yaml, labels.json, data.json, history.csv, tensorboard/,
    model.keras (best epoch), metrics.json, plots/, run.json (timings, parameters, export)."""

    def __init__(self, root: str | Path):
        self.root = Path(root)

    @classmethod
    def create(cls, path: Optional[str], task: str) -> "RunDir":
        if not path:
            stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
            path = f"runs/{task}-{stamp}"
        run = cls(path)
        run.root.mkdir(parents=True, exist_ok=True)
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
    tensorboard = property(lambda self: self.root / "tensorboard")
    plots = property(lambda self: self.root / "plots")

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
