"""progress.json: how far a run got, so that re-running the same command continues it instead of starting over.

    {"phases": {"frozen": {"next_epoch": 6}}, "trained": true, "export": "saved_models/genre/3",
     "export_sha256": "...", "export_token": "...", "finished": true, "resumes": [{"phase": "fine_tune", "epoch": 8}]}

A phase is listed once its fit returned (its backup is deleted only after that is written). `export_token` is
recorded before exporting and stored inside the export; `export` and its content digest `export_sha256` once
it is published. So a rerun after a kill during export neither exports twice nor skips it, and never takes
another run's export (same version number, other token or content) for its own. `finished` is set last,
after run.json.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Optional

from artzoo import atomic
from artzoo.config import RunConfig, to_dict
from artzoo.errors import ArtzooError

PROGRESS_FILE = "progress.json"
# Keys a rerun may change: where the run dir is named from, and how many devices it runs on.
RESUMABLE_CHANGES = ("run_dir", "train.strategy")


@dataclass
class RunProgress:
    phases: dict[str, dict] = field(default_factory=dict)
    trained: bool = False
    export: Optional[str] = None
    export_sha256: Optional[str] = None  # content digest of the published export (saved_model.version_digest)
    export_token: Optional[str] = None  # stored in the export's metadata: finds it after a kill
    finished: bool = False
    resumes: list[dict] = field(default_factory=list)
    weights_sha256: Optional[str] = None  # of the weights when training ended
    frozen_inputs: Optional[str] = None  # what phase 1 trained on: cached embeddings, or images (and why)

    @classmethod
    def load(cls, root: str | Path) -> "RunProgress":
        path = Path(root) / PROGRESS_FILE
        if not path.is_file():
            legacy_finished = (Path(root) / "run.json").is_file()  # a run from before progress.json existed
            return cls(trained=legacy_finished, finished=legacy_finished)
        try:
            return cls(**json.loads(path.read_text()))
        except (ValueError, TypeError) as err:
            raise ArtzooError(f"{str(path)!r} is not a progress file ({err}); use a new --run-dir") from None

    def save(self, root: str | Path) -> None:
        atomic.write_json(Path(root) / PROGRESS_FILE, asdict(self))

    def phase_done(self, name: str) -> Optional[int]:
        """The epoch after a finished phase, or None when the phase has not finished."""
        state = self.phases.get(name)
        return int(state["next_epoch"]) if state else None


def config_changes(saved: RunConfig, new: RunConfig) -> list[str]:
    """Dotted keys whose values differ between a run's saved config and a rerun's (RESUMABLE_CHANGES aside)."""
    a, b = _flatten(to_dict(saved)), _flatten(to_dict(new))
    keys = sorted(set(a) | set(b))
    return [f"{k}: {a.get(k)!r} -> {b.get(k)!r}" for k in keys
            if a.get(k) != b.get(k) and not k.startswith(RESUMABLE_CHANGES)]


def _flatten(node, prefix: str = "") -> dict:
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            out.update(_flatten(value, f"{prefix}{key}."))
        return out
    return {prefix[:-1]: node}
