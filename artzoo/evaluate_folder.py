"""`artzoo evaluate RUN_DIR --data-dir DIR`: a run's best model scored on any folder of class subfolders."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import keras

from artzoo import atomic
from artzoo.data.pipeline import make_dataset
from artzoo.data.sources import load_folder
from artzoo.errors import ArtzooError
from artzoo.evaluate import predict_with_labels, score_heads
from artzoo.models.float32_clone import for_cpu_inference
from artzoo.models.tta import with_tta
from artzoo.plots import confusion_matrix
from artzoo.run_dir import RunDir


def evaluate_folder(run_dir: str, data_dir: str, out: Optional[str] = None, tta: str = "none") -> dict:
    """Scores the run's first softmax head on `data_dir` (split subfolders are scored separately), with
    test-time augmentation `tta` ("none", "flip", "crops"; see `artzoo.models.tta`).

    Class folder names must be among the run's classes (an unknown one is an error naming it).
    """
    run = RunDir.open(run_dir)
    cfg = run.config()
    if cfg.bow is not None or not run.model_path.is_file():
        raise ArtzooError(f"run {run_dir!r} has no model.keras (a bag-of-words baseline or an unfinished run); "
                          "evaluate takes a deep run's directory")
    classes = run.classes()
    heads = [h for h in cfg.model.heads if h.type == "softmax"]
    if not heads:
        raise ArtzooError(f"run {run_dir!r} has no softmax head to score on class folders")
    head = heads[0]
    data = load_folder(data_dir, [head], classes=classes[head.name], make_split=False)
    model = with_tta(for_cpu_inference(keras.models.load_model(run.model_path, safe_mode=True)), tta)  # float32 on CPU
    name = Path(data_dir).resolve().name
    suffix = "" if tta == "none" else f"_tta_{tta}"
    out_path = Path(out) if out else run.root / "evaluations" / f"{name}{suffix}.json"
    out_path.parent.mkdir(parents=True, exist_ok=True)
    metrics = {}
    for split, ds in data.splits.items():
        batches = make_dataset(ds, [head], {head.name: len(classes[head.name])}, cfg.data.image_size,
                               cfg.data.batch_size, resize=cfg.data.resize, decode=cfg.data.decode, cache=False)
        probs, labels = predict_with_labels(model, batches, [head])
        metrics[split] = score_heads(probs, labels, [head], classes)
        m = metrics[split][head.name]
        confusion_matrix(m["confusion_matrix"], m["class_names"], out_path.with_name(f"{name}_{split}_confusion.png"),
                         title=f"{head.name} on {name}/{split} (accuracy {m['accuracy']:.3f})")
    quarantined = data.quarantine.get("files", [])
    report = {"data_dir": str(data_dir), "tta": tta, "metrics": metrics, "quarantined": quarantined,
              "path": str(out_path)}
    atomic.write_json(out_path, report)
    return report
