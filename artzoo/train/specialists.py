"""Trains a specialists-mode config: one single-head model per head, each a full two-phase run of its own,
then composes them into one inference model that is evaluated and exported like a shared model.

    <run>/specialists/<head>/   the head's own run directory (history, model.keras, metrics, plots)
    <run>/model.keras           the composed model: image -> {head: probabilities}
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Callable, Optional

import keras
import tensorflow as tf

from artzoo import atomic
from artzoo.config import HeadConfig, RunConfig
from artzoo.data.sources import LabeledData, load_labeled_data
from artzoo.export.exporter import export_trained
from artzoo.models.specialists import compose_specialists
from artzoo.provenance import environment
from artzoo.run_dir import RunDir, default_path
from artzoo.run_lock import holding_run
from artzoo.train.trained_run import TrainedRun, stops_resumably


def head_data(data: LabeledData, head: HeadConfig) -> LabeledData:
    """The part of multi-head data one specialist learns from: its own label, and only items that have it."""

    def labelled(_, labels):
        value = labels[head.name]
        return value >= 0 if head.type == "softmax" else value[0] >= 0

    def only_head(image, labels):
        return image, {head.name: labels[head.name]}

    splits = {}
    for split, ds in data.splits.items():
        known = sum(data.counts[split][head.name]) if head.type == "softmax" else None
        if known is not None and known == int(ds.cardinality()):
            splits[split] = ds.map(only_head)  # nothing to drop; keeps the known length
        else:
            ds = ds.filter(labelled).map(only_head)
            # A softmax head's counts give the number of labelled items: keep the length known to Keras.
            splits[split] = ds.apply(tf.data.experimental.assert_cardinality(known)) if known is not None else ds
    counts = {split: {head.name: per_head[head.name]} for split, per_head in data.counts.items()}
    return LabeledData(splits, {head.name: data.classes[head.name]}, counts, data.quarantine, data.source)


def specialist_config(cfg: RunConfig, head: HeadConfig, run: RunDir) -> RunConfig:
    """The single-head run config of one specialist: same data, backbone and recipe; no export of its own."""
    return replace(
        cfg,
        task=f"{cfg.task}-{head.name}",
        run_dir=str(run.root / "specialists" / head.name),
        model=replace(cfg.model, mode="shared", heads=(head,)),
        export=replace(cfg.export, enabled=False),
    )


def train_specialists(cfg: RunConfig, verbose="auto", data: Optional[LabeledData] = None, *,
                      train_one: Callable[..., RunDir], evaluate: Callable[..., dict]) -> TrainedRun:
    """Trains every head's specialist, composes them, evaluates and exports the composed model.

    `train_one(cfg, verbose, data)` trains one single-head run and `evaluate(cfg, model, data, run)` scores the
    composed model and writes metrics.json: the shared-model trainer's own (`artzoo.train.runner` passes them,
    so this module does not import the runner that calls it).
    """
    started = time.time()
    cfg = replace(cfg, run_dir=cfg.run_dir or default_path(cfg.task))
    with holding_run(cfg.run_dir, cfg.task) as run, stops_resumably(run):  # owned and locked, as a shared run
        return _train_specialists(cfg, run, verbose, data, started, train_one, evaluate)


def _train_specialists(cfg: RunConfig, run: RunDir, verbose, data: Optional[LabeledData], started: float,
                       train_one: Callable[..., RunDir], evaluate: Callable[..., dict]) -> TrainedRun:
    data = data if data is not None else load_labeled_data(cfg.data, cfg.model.heads)
    run.save_config(cfg)
    run.write_json(run.labels_path, data.classes)
    run.write_json(run.data_path, {"source": data.source, "counts": data.counts, "quarantine": data.quarantine})

    members, summaries = {}, {}
    for head in cfg.model.heads:
        sub_run = train_one(specialist_config(cfg, head, run), verbose, head_data(data, head))
        members[head.name] = keras.models.load_model(sub_run.model_path, safe_mode=True)
        summaries[head.name] = {"run_dir": str(sub_run.root), **_summary_fields(sub_run)}
    trained_seconds = time.time() - started

    model = compose_specialists(members, cfg.data.image_size, name=f"artzoo_{cfg.task}_specialists")
    with atomic.replacing(run.model_path) as tmp:
        model.save(tmp)
    metrics = evaluate(cfg, model, data, run)
    export_dir = export_trained(cfg, model, data.classes) if cfg.export.enabled else None
    run.update_summary(
        task=cfg.task,
        mode="specialists",
        backbone=cfg.model.backbone,
        parameters=int(model.count_params()),
        specialists=summaries,
        train_seconds=round(trained_seconds, 1),
        total_seconds=round(time.time() - started, 1),
        headline={split: {h: m.get("accuracy", m.get("f1_micro")) for h, m in per_head.items()}
                  for split, per_head in metrics.items()},
        export=str(export_dir) if export_dir else None,
        environment=environment(),
    )
    return TrainedRun(run.root, "trained")  # `artzoo train` reads the outcome, as for a shared run


def _summary_fields(sub_run: RunDir) -> dict:
    summary = sub_run.read_json(sub_run.summary_path)
    return {k: summary.get(k) for k in ("parameters", "precision_policy", "train_seconds", "headline")}

