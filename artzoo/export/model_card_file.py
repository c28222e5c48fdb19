"""The model card written next to every export: `README.md` in Hugging Face's format (YAML metadata, then
Markdown), from what the run directory records (`artzoo.reporting.model_card`), so it cannot drift from the model.

Where: a SavedModel version folder gets `README.md` inside it (TF Serving ignores it); a file export
`OUT.keras|.tflite|.onnx` gets `OUT.keras.README.md` beside it (several formats can share one folder).
The licence is `other` unless the run directory's `model_card.yaml` sets `license:` (the training images'
terms decide it, and artzoo cannot know them).
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from artzoo import atomic
from artzoo.config import RunConfig, to_dict
from artzoo.reporting.model_card import USER_CARD, build_model_card
from artzoo.run_dir import RunDir

CARD_NAME = "README.md"


def card_path(export: Path) -> Path:
    export = Path(export)
    return export / CARD_NAME if export.is_dir() else export.with_name(f"{export.name}.{CARD_NAME}")


def write_model_card(export: Path, fmt: str, cfg: RunConfig, run: RunDir) -> Path:
    """Writes the card for `export` (a SavedModel version folder or an exported file); returns its path."""
    from artzoo.provenance import environment

    metrics = _read(run.metrics_path)
    config = to_dict(cfg)
    card = build_model_card(config, _read(run.labels_path), _read(run.data_path), metrics, run.root)
    user = _user_card(run)
    env = environment()
    lines = ["---", yaml.safe_dump(metadata(cfg, metrics, user), sort_keys=False).rstrip(), "---", "",
             f"# {cfg.task}: {cfg.model.backbone} ({fmt})", "",
             f"An artzoo {fmt} export of run `{run.root}`; heads: "
             + ", ".join(f"`{h.name}` ({h.type})" for h in cfg.model.heads) + ".", ""]
    for title, key in (("Intended use", "intended_use"), ("Training data", "data"), ("Metrics", "metrics"),
                       ("Limitations", "limitations")):
        lines += [f"## {title}", "", *[f"- {line}" for line in card[key]], ""]
    lines += ["## How to use", "", "```python", "import artzoo", "",
              f"predictor = artzoo.load({str(Path(export).resolve())!r})",
              'predictor.predict(["painting.jpg"])  # per image: {head: [{"label", "probability"}, ...]}',
              "```", "", "## Provenance", "",
              "- versions: " + ", ".join(f"{k} {v}" for k, v in env["versions"].items()),
              f"- device: {env['device']['kind']} ({', '.join(env['device']['names'])})",
              f"- git commit: {env['git']['commit'] + (' (with uncommitted changes)' if env['git']['dirty'] else '')}"
              if env["git"] else "- git commit: none (installed package)", ""]
    path = card_path(export)
    atomic.write_text(path, "\n".join(lines))
    return path


def metadata(cfg: RunConfig, metrics: dict, user: dict) -> dict:
    """Hugging Face model-card metadata: licence, library, task, data, tags, and `model-index` results."""
    dataset = Path(cfg.data.data_dir).name if cfg.data.data_dir else cfg.data.dataset
    results = []
    for split, per_head in metrics.items():
        for head, m in per_head.items():
            if "accuracy" in m:
                values = [("accuracy", m["accuracy"], "accuracy"), ("f1", m["macro"]["f1"], "macro-F1")]
            else:
                values = [("f1", m["f1_micro"], "micro-F1"), ("map", m["mAP"], "mAP")]
            results.append({
                "task": {"type": "image-classification",
                         "name": f"{head} ({'multi-label' if 'mAP' in m else 'single-label'})"},
                "dataset": {"name": dataset, "type": dataset, "split": split},
                "metrics": [{"type": kind, "value": round(float(value), 4), "name": f"{split} {name} ({head})"}
                            for kind, value, name in values],
            })
    licence = str(user.get("license", "other"))
    meta = {
        "license": licence,
        **({"license_name": "see-training-data"} if licence == "other" else {}),
        "library_name": "keras",
        "pipeline_tag": "image-classification",
        "tags": ["artzoo", "keras", "tensorflow", "image-classification", cfg.task, cfg.model.backbone],
        "datasets": [dataset],
        "metrics": sorted({m["type"] for r in results for m in r["metrics"]}),
        "model-index": [{"name": f"artzoo-{cfg.task}-{cfg.model.backbone}", "results": results}],
    }
    return meta


def _user_card(run: RunDir) -> dict:
    path = run.root / USER_CARD
    return (yaml.safe_load(path.read_text()) or {}) if path.is_file() else {}


def _read(path: Path) -> dict:
    return json.loads(path.read_text()) if path.is_file() else {}
