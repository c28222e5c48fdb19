"""A training run, end to end: strategy -> data -> run dir -> model -> two resumable phases -> best model ->
metrics, plots -> SavedModel.

Re-running the same command with the same --run-dir continues an interrupted run from its last finished
epoch (see `artzoo.train.phases` and `artzoo.train.progress`); a run that finished says so and does nothing.
In a multi-worker run only the chief writes the run directory and the export; other workers write a
scratch directory that is deleted at the end.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
import time
import uuid
from dataclasses import replace
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from artzoo.config import RunConfig
from artzoo.config_checks import check_head_classes, check_run_config
from artzoo.data.pipeline import make_dataset
from artzoo.data.sources import LabeledData, load_labeled_data
from artzoo.errors import ArtzooError
from artzoo.evaluate import predict_with_labels, score_heads
from artzoo.export.exporter import default_out, export_trained
from artzoo.export.saved_model import find_export, read_metadata, version_digest
from artzoo.models.classifier import build_classifier
from artzoo.models.float32_clone import for_cpu_inference
from artzoo.plots import confusion_matrix, training_curves
from artzoo.provenance import environment
from artzoo.reporting.thresholds import record_tuning, thresholds_by_head, tune_sigmoid_heads
from artzoo.run_dir import RunDir, default_path
from artzoo.run_lock import holding_run
from artzoo.train.cached_heads import maybe_cached_head_inputs
from artzoo.train.checkpoint import state_path
from artzoo.train.imbalance import (
    imbalance_scores, print_imbalance, resolve_rare_classes, run_imbalance_report,
)
from artzoo.train.phases import Session, fit_phases, lr_factor, plan_phases, say
from artzoo.train.precision import precision_policy
from artzoo.train.progress import RunProgress, config_changes
from artzoo.train.inputs import training_inputs
from artzoo.train.specialists import train_specialists
from artzoo.train.strategy import Distribution, create_distribution
from artzoo.train.trained_run import TrainedRun, stops_resumably


def train(cfg: RunConfig, verbose: int | str = "auto", data: LabeledData | None = None) -> TrainedRun:
    """Trains the model `cfg` describes (or continues its interrupted run) and returns its run directory.

    The run directory must be new, empty or this config's run (anything else is refused before any data is
    read) and is locked while training: a second process on it gets "in use by pid N". An OS error on the
    way (full disk, permissions) stops the run with one line; what it finished is kept and a rerun resumes.

    Args:
        data: labelled splits to use instead of loading `cfg.data` (e.g. built in memory by a benchmark).
    """
    check_run_config(cfg)
    if cfg.model.mode == "specialists":
        return train_specialists(cfg, verbose, data, train_one=train, evaluate=evaluate_splits)
    started = time.time()
    dist = create_distribution(cfg.train.strategy)  # first: a multi-worker strategy must precede any TF op
    seed_everything(cfg.train.seed, cfg.train.deterministic)
    if dist.num_workers > 1 and not cfg.run_dir:
        raise ArtzooError("strategy 'multiworker' needs --run-dir: every worker must name the same run directory")
    if not dist.is_chief:
        return _train_in(cfg, dist, None, verbose, data, started)
    cfg = replace(cfg, run_dir=cfg.run_dir or default_path(cfg.task))
    with holding_run(cfg.run_dir, cfg.task) as run, stops_resumably(run):
        return _train_in(cfg, dist, run, verbose, data, started)


def _train_in(cfg: RunConfig, dist: Distribution, run: RunDir | None, verbose, data, started: float) -> TrainedRun:
    """The run in `run` (the chief's, locked) or, for another worker, in a scratch directory."""
    progress = previous_progress(cfg)
    if progress.finished:
        say(f"run directory {cfg.run_dir!r} holds a finished run; nothing to do (train again with a new --run-dir)")
        return TrainedRun(cfg.run_dir, "already_finished")
    data = data if data is not None else load_labeled_data(cfg.data, cfg.model.heads)
    for split in (cfg.data.train_split, cfg.data.val_split):
        data.split(split)  # fails early, naming the splits that exist
    check_head_classes(cfg.model.heads, data.classes, data.counts[cfg.data.train_split], cfg.data.train_split)
    continued = bool(progress.phases or progress.trained)
    session = open_session(cfg, dist, progress, verbose, run)
    try:
        outcome = _train(session, data, started)
    finally:
        if not dist.is_chief:
            shutil.rmtree(session.write.root, ignore_errors=True)
    resumed = continued or bool(session.resumed)
    return TrainedRun(session.read.root, "resumed" if outcome == "trained" and resumed else outcome)


def seed_everything(seed: int, deterministic: bool) -> None:
    """Python, NumPy, TensorFlow and Keras seeds (shuffle and augmentation take `seed` explicitly); with
    `deterministic`, TensorFlow's op determinism too, so two runs give bit-identical weights."""
    keras.utils.set_random_seed(seed)
    if deterministic:
        tf.config.experimental.enable_op_determinism()


def previous_progress(cfg: RunConfig) -> RunProgress:
    """How far an earlier run in `cfg.run_dir` got; refuses a directory that holds a run of another config."""
    if not cfg.run_dir:
        return RunProgress()
    previous = RunDir(cfg.run_dir)
    if previous.config_path.is_file():
        changes = config_changes(previous.config(), cfg)
        if changes:
            raise ArtzooError(f"run directory {cfg.run_dir!r} holds a run with another config "
                              f"({'; '.join(changes[:3])}); rerun with its options or use a new --run-dir")
    return RunProgress.load(previous.root)


def open_session(cfg: RunConfig, dist: Distribution, progress: RunProgress, verbose, run: RunDir | None) -> Session:
    """The chief writes its run directory `run`; another worker creates a scratch one and reads the chief's."""
    if dist.is_chief:
        read = write = run
    else:
        read = RunDir(cfg.run_dir)
        write = RunDir.create(tempfile.mkdtemp(prefix=f"artzoo-{dist.task.replace(':', '')}-"), cfg.task)
        say(f"{dist.task} is not the chief: its files go to the scratch directory {write.root}")
    return Session(replace(cfg, run_dir=str(read.root)), dist, read, write, progress, verbose)


def _train(session: Session, data: LabeledData, started: float) -> str:
    cfg, dist, run = session.cfg, session.dist, session.write
    imbalance = run_imbalance_report(cfg, data.counts, data.classes)
    # Rare classes found from the counts build the model and pipeline; config.yaml keeps what the user set
    # (a rerun resumes against it) and data.json records what was found.
    model_cfg = resolve_rare_classes(cfg, data.counts[cfg.data.train_split], data.classes)
    if dist.is_chief:
        run.save_config(cfg)
        run.write_json(run.labels_path, data.classes)
        run.write_json(run.data_path, {"source": data.source, "counts": data.counts, "quarantine": data.quarantine,
                                       "imbalance": imbalance, "rare_classes": {
                                           h.name: list(h.rare_classes) for h in model_cfg.model.heads
                                           if h.rare_augment or h.cascade != "none"}})
        print_imbalance(imbalance, cfg.data.train_split)
    batch = cfg.data.batch_size * dist.replicas  # data.batch_size is per replica
    n_train = sum(data.counts[cfg.data.train_split][cfg.model.heads[0].name])
    model, resumed_trained = None, session.progress.trained
    with precision_policy(_precision_setting(cfg, dist)) as policy:
        if not session.progress.trained:
            inputs = training_inputs(model_cfg, data, batch, dist)
            session.head_inputs, frozen_inputs = maybe_cached_head_inputs(model_cfg, data, batch, dist.num_workers,
                                                                          dist.kind)
            say(f"phase 1 trains the heads on {frozen_inputs}")
            session.progress.frozen_inputs = frozen_inputs
            with dist.strategy.scope():
                model = build_classifier(model_cfg.model, data.classes, cfg.data.image_size)
            fit_phases(session, model, inputs.train, inputs.val, inputs.steps_per_epoch)
            session.progress.weights_sha256 = weights_digest(model)
            if dist.num_workers > 1:
                say(f"{dist.task} final weights sha256 {session.progress.weights_sha256}")
    if not dist.is_chief:
        return "worker"
    session.progress.trained = True
    session.save_progress()
    trained_seconds = time.time() - started
    best = _best_model(session, model if not resumed_trained else None)
    metrics = evaluate_splits(cfg, for_cpu_inference(best), data, run)
    export_dir = _export_once(session, best, data.classes) if cfg.export.enabled else None
    _write_summary(session, best, metrics, export_dir, policy=policy, global_batch=batch, train_images=n_train,
                   train_seconds=round(trained_seconds, 1), total_seconds=round(time.time() - started, 1))
    run.update_summary(imbalance=imbalance_scores(metrics), imbalance_warnings=imbalance["warnings"])
    session.progress.finished = True
    session.save_progress()
    return "trained"


def _best_model(session: Session, trained: keras.Model | None) -> keras.Model:
    """The best epoch's model: the one just trained when its last epoch is the checkpoint's (one device), which
    spares reloading model.keras (~2.4 s of a short run's ~7 s outside `fit`, bench/train_overhead.py);
    otherwise model.keras."""
    run = session.write
    planned = [p.name for p in plan_phases(session.cfg.train, session.dist.replicas) if p.epochs > 0]
    fitted_last = bool(session.ran) and session.ran[-1] == planned[-1]  # else an earlier call trained it
    if trained is not None and fitted_last and session.dist.kind == "none" and not session.resumed:
        saved = run.read_json(state_path(run.model_path)) if state_path(run.model_path).is_file() else {}
        last_epoch = max((state["next_epoch"] for state in session.progress.phases.values()), default=0) - 1
        if saved.get("epoch") == last_epoch >= 0:
            return trained
    return keras.models.load_model(run.model_path, safe_mode=True)


def _write_summary(session: Session, best, metrics: dict, export_dir, policy: str, global_batch: int, **timing) -> None:
    cfg, dist, progress = session.cfg, session.dist, session.progress
    session.write.update_summary(
        task=cfg.task,
        backbone=cfg.model.backbone,
        parameters=int(best.count_params()),
        precision_policy=policy,
        strategy={"kind": dist.kind, "workers": dist.num_workers, "replicas": dist.replicas},
        batch_size={"per_replica": cfg.data.batch_size, "global": global_batch},
        learning_rate_factor=lr_factor(cfg.train.scale_lr, dist.replicas),
        deterministic=cfg.train.deterministic,
        phase_seconds={name: state.get("seconds") for name, state in progress.phases.items()},
        resumes=progress.resumes,
        frozen_phase_inputs=progress.frozen_inputs,
        final_weights_sha256=progress.weights_sha256,
        headline={split: {h: m.get("accuracy", m.get("f1_micro")) for h, m in per_head.items()}
                  for split, per_head in metrics.items()},
        export=str(export_dir) if export_dir else None,
        environment=environment(),
        export_sha256=progress.export_sha256 if export_dir else None,
        **timing,
    )


def _precision_setting(cfg: RunConfig, dist: Distribution) -> str:
    if cfg.train.mixed_precision == "auto" and dist.kind == "tpu":
        return "bfloat16"  # TPUs compute in bfloat16; float16 loss scaling is a GPU matter
    return cfg.train.mixed_precision


def weights_digest(model: keras.Model) -> str:
    """SHA-256 of every weight's bytes: equal digests mean bit-identical weights (workers, reruns)."""
    digest = hashlib.sha256()
    for weight in model.get_weights():
        digest.update(np.ascontiguousarray(weight).tobytes())
    return digest.hexdigest()


def _export_once(session: Session, model, classes: dict[str, list[str]]) -> Path:
    """Exports a new SavedModel version once per run, even across kills: the export carries a token recorded
    in progress.json before it starts, so a rerun finds its own export by token (never another run's at the
    same version number), and the version's content digest recorded after it is checked before reusing it."""
    cfg, progress = session.cfg, session.progress
    own = _recorded_export(session)
    if own is not None:
        return own
    found = find_export(default_out(cfg), progress.export_token) if progress.export_token else None
    if found is None:  # not published before a kill: export now, under a new token
        progress.export_token, progress.export, progress.export_sha256 = uuid.uuid4().hex, None, None
        session.save_progress()
        found = export_trained(cfg, model, classes, token=progress.export_token)
    progress.export, progress.export_sha256 = str(found), version_digest(found)
    session.save_progress()
    return found


def _recorded_export(session: Session) -> Path | None:
    """The export progress.json records, if it is still there with the recorded content."""
    progress = session.progress
    if not progress.export:
        return None
    path = Path(progress.export)
    if progress.export_sha256 is None:  # a run from before digests: its own only if the export names this run
        try:
            metadata = read_metadata(path)
        except (ArtzooError, OSError, ValueError):
            metadata = {}
        if metadata.get("run_dir") == session.cfg.run_dir:
            progress.export_sha256 = version_digest(path)
            session.save_progress()
            return path
    elif path.is_dir() and version_digest(path) == progress.export_sha256:
        return path
    say(f"the export {str(path)!r} recorded by this run is missing, changed or another run's; exporting anew")
    progress.export = progress.export_sha256 = progress.export_token = None
    return None


def evaluate_splits(cfg: RunConfig, model, data: LabeledData, run: RunDir) -> dict:
    """Scores the best model on val and, when present, test; writes metrics.json and the plots."""
    heads = cfg.model.heads
    num_classes = {h.name: len(data.classes[h.name]) for h in heads}
    predictions, metrics = {}, {}
    for split in (cfg.data.val_split, cfg.data.test_split):
        if not split or split not in data.splits:
            continue
        ds = make_dataset(data.split(split), heads, num_classes, cfg.data.image_size, cfg.data.batch_size,
                          resize=cfg.data.resize, decode=cfg.data.decode, cache=False)
        predictions[split] = predict_with_labels(model, ds, heads)
    # Sigmoid heads: per-label thresholds tuned for F2 on val, then applied unchanged to test and the export.
    val = predictions.get(cfg.data.val_split)
    tuning = tune_sigmoid_heads(heads, *val, data.classes) if val else {}
    for split, (probs, labels) in predictions.items():
        metrics[split] = score_heads(probs, labels, heads, data.classes, thresholds_by_head(tuning))
        for h in heads:
            if h.type == "softmax":
                m = metrics[split][h.name]
                confusion_matrix(m["confusion_matrix"], m["class_names"], run.plots / f"confusion_{split}_{h.name}.png",
                                 title=f"{h.name} - {split} (accuracy {m['accuracy']:.3f})")
    record_tuning(metrics, tuning, cfg.data.val_split)
    run.write_json(run.metrics_path, metrics)
    if run.history_path.is_file():
        training_curves(run.history_path, run.plots / "training_curves.png")
    return metrics
