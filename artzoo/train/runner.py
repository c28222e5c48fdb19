"""A training run, end to end: data -> model -> two-phase fit -> best model -> metrics, plots -> SavedModel."""

from __future__ import annotations

import math
import time
from dataclasses import replace
from pathlib import Path

import keras
import tensorflow as tf

from artzoo.config import RunConfig
from artzoo.data.augment import build_augmenter
from artzoo.data.balance import class_weights
from artzoo.data.pipeline import make_dataset
from artzoo.data.sources import LabeledData, load_labeled_data
from artzoo.errors import ArtzooError
from artzoo.evaluate import predict_with_labels, score_heads
from artzoo.export.saved_model import HeadSpec, ServingSpec, export_saved_model
from artzoo.models.classifier import build_classifier
from artzoo.models.heads import head_loss, head_metrics
from artzoo.plots import confusion_matrix, training_curves
from artzoo.run_dir import RunDir
from artzoo.train.callbacks import phase_callbacks
from artzoo.train.finetune import set_phase_trainable
from artzoo.train.optimizers import learning_rate_schedule, make_optimizer
from artzoo.train.precision import precision_policy


def train(cfg: RunConfig, verbose: int | str = "auto", data: LabeledData | None = None) -> RunDir:
    """Trains the model `cfg` describes and returns its run directory.

    Args:
        data: labelled splits to use instead of loading `cfg.data` (e.g. built in memory by a benchmark).
    """
    if cfg.model.mode == "specialists":
        from artzoo.train.specialists import train_specialists

        return train_specialists(cfg, verbose, data)
    started = time.time()
    keras.utils.set_random_seed(cfg.train.seed)
    if cfg.train.deterministic:
        tf.config.experimental.enable_op_determinism()
    data = data if data is not None else load_labeled_data(cfg.data, cfg.model.heads)
    for split in (cfg.data.train_split, cfg.data.val_split):
        data.split(split)  # fails early, naming the splits that exist
    run = RunDir.create(cfg.run_dir, cfg.task)
    cfg = replace(cfg, run_dir=str(run.root))
    run.save_config(cfg)
    run.write_json(run.labels_path, data.classes)
    run.write_json(run.data_path, {"source": data.source, "counts": data.counts, "quarantine": data.quarantine})

    with precision_policy(cfg.train.mixed_precision) as policy:
        model = build_classifier(cfg.model, data.classes, cfg.data.image_size)
        train_ds, val_ds = _datasets(cfg, data)
        n_train = sum(data.counts[cfg.data.train_split][cfg.model.heads[0].name])
        steps = math.ceil(max(n_train, 1) / cfg.data.batch_size)
        timings = _fit_two_phases(cfg, model, train_ds, val_ds, steps, run, verbose)

    trained_seconds = time.time() - started
    best = keras.models.load_model(run.model_path, safe_mode=True)
    metrics = evaluate_splits(cfg, best, data, run)
    export_dir = None
    if cfg.export.enabled:
        export_dir = export_run(cfg, best, data.classes)
    run.update_summary(
        task=cfg.task,
        backbone=cfg.model.backbone,
        parameters=int(best.count_params()),
        precision_policy=policy,
        train_images=n_train,
        train_seconds=round(trained_seconds, 1),
        phase_seconds=timings,
        total_seconds=round(time.time() - started, 1),
        headline={split: {h: m.get("accuracy", m.get("f1_micro")) for h, m in per_head.items()}
                  for split, per_head in metrics.items()},
        export=str(export_dir) if export_dir else None,
    )
    return run


def _datasets(cfg: RunConfig, data: LabeledData):
    heads = cfg.model.heads
    num_classes = {h.name: len(data.classes[h.name]) for h in heads}
    train_counts = data.counts[cfg.data.train_split]
    weights = {h.name: class_weights(train_counts[h.name], h.class_weight) for h in heads if h.type == "softmax"}
    common = dict(image_size=cfg.data.image_size, batch_size=cfg.data.batch_size, resize=cfg.data.resize,
                  cache=cfg.data.cache, seed=cfg.train.seed)
    train_ds = make_dataset(
        data.split(cfg.data.train_split), heads, num_classes, training=True, shuffle_buffer=cfg.data.shuffle_buffer,
        augmenter=build_augmenter(cfg.data.augment, cfg.train.seed), class_weights=weights, **common,
    )
    val_ds = make_dataset(data.split(cfg.data.val_split), heads, num_classes, **common)
    return train_ds, val_ds


def _compile(model, cfg: RunConfig, learning_rate, steps: int, epochs: int) -> None:
    t = cfg.train
    schedule = learning_rate_schedule(learning_rate, t.schedule, steps, epochs, t.step_epochs, t.decay_rate)
    num_classes = {h.name: model.get_layer(h.name).units for h in cfg.model.heads}
    model.compile(
        optimizer=make_optimizer(schedule, t.clipnorm),
        loss={h.name: head_loss(h) for h in cfg.model.heads},
        loss_weights={h.name: h.loss_weight for h in cfg.model.heads},
        # Weighted, so items whose label is missing for a head (sample weight 0) do not count in its metrics.
        weighted_metrics={h.name: head_metrics(h, num_classes[h.name]) for h in cfg.model.heads},
        jit_compile={"auto": "auto", "on": True, "off": False}[t.jit_compile],
    )


def _fit_two_phases(cfg: RunConfig, model, train_ds, val_ds, steps: int, run: RunDir, verbose) -> dict:
    """Phase 1 trains the heads on the frozen backbone; phase 2 unfreezes the top blocks at a lower rate."""
    t = cfg.train
    timings = {}
    best = None
    phases = [("frozen", t.epochs, t.learning_rate)]
    if t.fine_tune_epochs > 0 and t.fine_tune_blocks > 0:
        phases.append(("fine_tune", t.fine_tune_epochs, t.fine_tune_learning_rate))
    epoch = 0
    for index, (name, epochs, lr) in enumerate(phases, start=1):
        if epochs <= 0:
            continue
        if name != "frozen" and run.model_path.is_file():
            model.load_weights(run.model_path)  # continue from phase 1's best epoch
        set_phase_trainable(model, cfg.model.backbone, cfg.model.weights, name, t.fine_tune_blocks)
        _compile(model, cfg, lr, steps, epochs)
        callbacks, checkpoint = phase_callbacks(run, t, phase=index, best_so_far=best)
        start = time.time()
        model.fit(train_ds, validation_data=val_ds, initial_epoch=epoch, epochs=epoch + epochs, shuffle=False,
                  callbacks=callbacks, verbose=verbose)
        timings[name] = round(time.time() - start, 1)
        best = checkpoint.best
        epoch += epochs
    if not run.model_path.is_file():
        raise ArtzooError("training ran no epoch (train.epochs and train.fine_tune_epochs are 0)")
    return timings


def evaluate_splits(cfg: RunConfig, model, data: LabeledData, run: RunDir) -> dict:
    """Scores the best model on val and, when present, test; writes metrics.json and the plots."""
    heads = cfg.model.heads
    num_classes = {h.name: len(data.classes[h.name]) for h in heads}
    metrics = {}
    for split in (cfg.data.val_split, cfg.data.test_split):
        if not split or split not in data.splits:
            continue
        ds = make_dataset(data.split(split), heads, num_classes, cfg.data.image_size, cfg.data.batch_size,
                          resize=cfg.data.resize, cache=False)
        probs, labels = predict_with_labels(model, ds, heads)
        metrics[split] = score_heads(probs, labels, heads, data.classes)
        for h in heads:
            if h.type == "softmax":
                m = metrics[split][h.name]
                confusion_matrix(m["confusion_matrix"], m["class_names"], run.plots / f"confusion_{split}_{h.name}.png",
                                 title=f"{h.name} - {split} (accuracy {m['accuracy']:.3f})")
    run.write_json(run.metrics_path, metrics)
    if run.history_path.is_file():
        training_curves(run.history_path, run.plots / "training_curves.png")
    return metrics


def export_run(cfg: RunConfig, model, classes: dict[str, list[str]]):
    """Exports the best model as the next SavedModel version under `<export.dir>/<name>/`."""
    spec = ServingSpec(
        heads=[HeadSpec(h.name, classes[h.name], h.type, h.top_k) for h in cfg.model.heads],
        image_size=cfg.data.image_size,
        resize=cfg.data.resize,
        max_image_bytes=cfg.export.max_image_bytes,
        max_pixels=cfg.export.max_pixels,
        extra={"task": cfg.task, "backbone": cfg.model.backbone, "run_dir": cfg.run_dir},
    )
    return export_saved_model(model, spec, Path(cfg.export.dir) / cfg.export_name)

