"""The serving signatures of an exported SavedModel, read back with `tf.saved_model.load` (what a server sees)."""

from __future__ import annotations

import json
from pathlib import Path


def _spec(tensor) -> dict:
    shape = tensor.shape
    dims = None if shape.rank is None else [d if d is not None else -1 for d in shape.as_list()]
    return {"dtype": tensor.dtype.name, "shape": dims}


def read_signatures(version_dir: str | Path) -> dict:
    """{signature name: {"inputs": {name: {dtype, shape}}, "outputs": {name: {dtype, shape}}}}; -1 marks a
    dimension of any size."""
    import tensorflow as tf

    loaded = tf.saved_model.load(str(version_dir))
    out = {}
    for name in sorted(loaded.signatures):
        fn = loaded.signatures[name]
        args, kwargs = fn.structured_input_signature
        inputs = {spec.name or f"arg{i}": _spec(spec) for i, spec in enumerate(args)}
        inputs.update({key: _spec(spec) for key, spec in kwargs.items()})
        outputs = {key: _spec(t) for key, t in sorted(fn.structured_outputs.items())}
        out[name] = {"inputs": inputs, "outputs": outputs}
    return out


def find_export(run_summary: dict) -> Path | None:
    """The SavedModel version directory a run recorded in run.json, if it still exists."""
    export = run_summary.get("export")
    if not export:
        return None
    path = Path(export)
    return path if (path / "saved_model.pb").is_file() else None


def export_metadata(version_dir: Path) -> dict:
    """artzoo's own metadata written beside the export (heads, classes, thresholds), if any."""
    path = Path(version_dir) / "assets.extra" / "artzoo.json"
    return json.loads(path.read_text()) if path.is_file() else {}
