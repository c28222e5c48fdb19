"""`artzoo train --cv K`: the run config trained K times on stratified folds of train + val (see
`artzoo.data.cv_folds`), each fold held out once, scored with and without test-time augmentation.

Folds are ordinary run directories `<run_dir>/fold<i>/` (no export), so an interrupted CV run continues where it
stopped when re-run with the same --run-dir; `<run_dir>/cv.json` holds per-fold scores and mean ± sd.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Sequence

import keras
import numpy as np

from artzoo.config import RunConfig
from artzoo.data.cv_folds import cv_folds
from artzoo.data.pipeline import make_dataset
from artzoo.data.sources import LabeledData, load_labeled_data
from artzoo.evaluate import predict_with_labels, score_heads
from artzoo.models.float32_clone import for_cpu_inference
from artzoo.models.tta import with_tta
from artzoo.run_dir import RunDir
from artzoo.train.phases import say


def train_cv(cfg: RunConfig, k: int, tta: Sequence[str] = ("flip",), verbose: int | str = "auto",
             data: LabeledData | None = None) -> dict:
    """Trains fold by fold; returns (and writes to `<run_dir>/cv.json`) the scores per fold and their summary."""
    base = RunDir.create(cfg.run_dir, f"{cfg.task}-cv{k}")
    data = data if data is not None else load_labeled_data(cfg.data, cfg.model.heads)
    folds = cv_folds(data, cfg.model.heads, k, cfg.train.seed, (cfg.data.train_split, cfg.data.val_split))
    fold_cfg = replace(cfg, export=replace(cfg.export, enabled=False),
                       data=replace(cfg.data, train_split="train", val_split="val", test_split=None))
    from artzoo.train.runner import train

    rows = []
    for i, fold_data in enumerate(folds, start=1):
        started = time.process_time()
        say(f"cross-validation fold {i}/{k}: {fold_data.counts['train']} train, {fold_data.counts['val']} held out")
        run = train(replace(fold_cfg, run_dir=str(base.root / f"fold{i}")), verbose, data=fold_data)
        summary = run.read_json(run.summary_path)
        rows.append({"fold": i, "run_dir": str(run.root), "train_seconds": summary.get("train_seconds"),
                     **held_out_scores(fold_cfg, run, fold_data, ("none", *tta))})
        rows[-1]["cpu_seconds_this_call"] = round(time.process_time() - started, 1)
    result = {"k": k, "seed": cfg.train.seed, "folds": rows, "summary": summarise(rows)}
    base.write_json(base.root / "cv.json", result)
    return result


def held_out_scores(cfg: RunConfig, run: RunDir, data: LabeledData, modes: Sequence[str]) -> dict:
    """Accuracy and macro-F1 per softmax head on the fold's held-out images, per test-time augmentation."""
    heads = [h for h in cfg.model.heads if h.type == "softmax"]
    num_classes = {h.name: len(data.classes[h.name]) for h in heads}
    model = for_cpu_inference(keras.models.load_model(run.model_path, safe_mode=True))  # float32 on CPU
    scores = {}
    for mode in modes:
        ds = make_dataset(data.split("val"), heads, num_classes, cfg.data.image_size, cfg.data.batch_size,
                          resize=cfg.data.resize, cache=False)
        probs, labels = predict_with_labels(with_tta(model, mode), ds, heads)
        metrics = score_heads(probs, labels, heads, data.classes)
        scores[mode] = {h: {"accuracy": m["accuracy"], "macro_f1": m["macro"]["f1"], "confusion": m["confusion_matrix"]}
                        for h, m in metrics.items()}
    return {"held_out": scores}


def summarise(rows: list[dict]) -> dict:
    """Mean and sample sd over folds of every (tta mode, head, metric)."""
    out: dict = {}
    for mode, heads in rows[0]["held_out"].items():
        for head, metrics in heads.items():
            for metric in ("accuracy", "macro_f1"):
                values = np.array([r["held_out"][mode][head][metric] for r in rows], dtype=np.float64)
                out.setdefault(mode, {}).setdefault(head, {})[metric] = {
                    "mean": round(float(values.mean()), 4),
                    "sd": round(float(values.std(ddof=1)), 4) if len(values) > 1 else 0.0,
                    "folds": [round(float(v), 4) for v in values],
                }
    return out


def summary_lines(result: dict) -> list[str]:
    lines = []
    for mode, heads in result["summary"].items():
        for head, m in heads.items():
            acc, f1 = m["accuracy"], m["macro_f1"]
            lines.append(f"{result['k']}-fold {head} (tta {mode}): accuracy {acc['mean']:.4f} ± {acc['sd']:.4f}, "
                         f"macro-F1 {f1['mean']:.4f} ± {f1['sd']:.4f}")
    return lines

