"""A bag-of-visual-words + SVM run, end to end, leaving the same run directory as a deep training run.

data (TFDS or folder, same splits and quarantine) -> keypoints + descriptors (train) -> visual vocabulary ->
word histograms -> grid-searched SVC -> the same metrics and confusion matrices on val (and test) ->
config.yaml, labels.json, data.json, metrics.json, plots/, run.json, bow_model.joblib.
"""

from __future__ import annotations

import io
import time
from dataclasses import dataclass, replace

import joblib
import numpy as np

from artzoo import atomic
from artzoo.classical.bow import VisualVocabulary
from artzoo.classical.features import describe_images
from artzoo.classical.svm import class_scores, describe_search, fit_svm, parameter_count
from artzoo.config import BowConfig, ExportConfig, HeadConfig, ModelConfig, RunConfig, TrainConfig
from artzoo.data.sources import LabeledData, load_labeled_data
from artzoo.errors import ArtzooError
from artzoo.metrics import softmax_metrics
from artzoo.plots import confusion_matrix
from artzoo.provenance import environment
from artzoo.run_dir import RunDir

MODEL_FILE = "bow_model.joblib"


@dataclass
class SplitFeatures:
    descriptors: list[np.ndarray]
    labels: np.ndarray  # class index, -1 where the label is unknown

    def keypoint_summary(self) -> dict:
        counts = np.array([len(d) for d in self.descriptors], dtype=np.int64)
        return {"images": int(len(counts)), "no_keypoints": int((counts == 0).sum()),
                "mean_keypoints": round(float(counts.mean()), 1) if len(counts) else 0.0}


def backbone_name(bow: BowConfig) -> str:
    """How the run names its 'model' beside deep backbones, e.g. bow_sift_100_tfidf."""
    return f"bow_{bow.detector}_{bow.vocab}" + ("_tfidf" if bow.tfidf else "")


def baseline_config(cfg: RunConfig, head: HeadConfig, bow: BowConfig) -> RunConfig:
    """The run's own config: the data section kept, the model section naming the BoW pipeline, no epochs."""
    return replace(
        cfg,
        bow=bow,
        model=ModelConfig(backbone=backbone_name(bow), weights="none", heads=(head,)),
        train=TrainConfig(seed=cfg.train.seed, epochs=0, fine_tune_epochs=0),
        export=ExportConfig(enabled=False),
    )


def run_bow(cfg: RunConfig, head: HeadConfig) -> RunDir:
    """Fits BoW + SVM on the train split, scores val (and test), and returns the run directory."""
    if cfg.bow is None:
        raise ArtzooError("run_bow needs a config with a bow section (see artzoo.config.BowConfig)")
    if head.type != "softmax":
        raise ArtzooError(f"head {head.name!r} is {head.type}; the BoW + SVM baseline predicts one softmax label")
    bow, started, cpu_started, timings = cfg.bow, time.time(), time.process_time(), {}
    data = load_labeled_data(cfg.data, [head])
    data.split(cfg.data.train_split)  # fails early, naming the splits that exist
    run = RunDir.create(cfg.run_dir, cfg.task)
    cfg = replace(baseline_config(cfg, head, bow), run_dir=str(run.root))
    run.save_config(cfg)
    run.write_json(run.labels_path, data.classes)

    train = _features(data, cfg.data.train_split, head, bow, timings)
    known = train.labels >= 0
    mark = time.time()
    vocabulary = VisualVocabulary(bow.vocab, bow.detector, bow.tfidf, bow.vocab_sample, cfg.train.seed)
    vocabulary.fit([d for d, k in zip(train.descriptors, known) if k])
    x_train = vocabulary.histograms([d for d, k in zip(train.descriptors, known) if k])
    timings["vocabulary"] = round(time.time() - mark, 1)
    mark = time.time()
    search = fit_svm(x_train, train.labels[known], bow.cv_folds, bow.scoring, bow.jobs, cfg.train.seed)
    timings["grid_search"] = round(time.time() - mark, 1)
    trained_seconds = time.time() - started

    keypoints = {cfg.data.train_split: train.keypoint_summary()}
    metrics = _evaluate(cfg, data, head, vocabulary, search, run, timings, keypoints)
    run.write_json(run.data_path, {"source": data.source, "counts": data.counts, "quarantine": data.quarantine,
                                   "keypoints": keypoints})
    _save_model(run, vocabulary, search, data.classes[head.name])
    run.update_summary(
        task=cfg.task,
        backbone=cfg.model.backbone,
        kind="bow_svm",
        parameters=vocabulary.parameter_count() + parameter_count(search, vocabulary.size),
        train_images=int(known.sum()),
        train_seconds=round(trained_seconds, 1),
        phase_seconds=timings,
        total_seconds=round(time.time() - started, 1),
        cpu_seconds=round(time.process_time() - cpu_started, 1),  # all threads: steadier than wall time when shared
        headline={split: {h: m["accuracy"] for h, m in per_head.items()} for split, per_head in metrics.items()},
        grid_search=describe_search(search),
        environment=environment(),
        keypoints=keypoints,
        export=None,
    )
    return run


def _features(data: LabeledData, split: str, head: HeadConfig, bow: BowConfig, timings: dict) -> SplitFeatures:
    mark = time.time()
    images, labels = [], []
    for encoded, targets in data.split(split).as_numpy_iterator():
        images.append(encoded)
        labels.append(int(targets[head.name]))
    descriptors = describe_images(images, bow.detector, bow.max_keypoints, bow.max_side, bow.jobs)
    timings[f"features_{split}"] = round(time.time() - mark, 1)
    return SplitFeatures(descriptors, np.asarray(labels, dtype=np.int64))


def _evaluate(cfg: RunConfig, data: LabeledData, head: HeadConfig, vocabulary: VisualVocabulary, search,
              run: RunDir, timings: dict, keypoints: dict) -> dict:
    """Scores val and (when present) test like the deep runs; writes metrics.json and the confusion plots."""
    classes = data.classes[head.name]
    metrics = {}
    for split in (cfg.data.val_split, cfg.data.test_split):
        if not split or split not in data.splits:
            continue
        features = _features(data, split, head, cfg.bow, timings)
        keypoints[split] = features.keypoint_summary()
        scores = class_scores(search.best_estimator_, vocabulary.histograms(features.descriptors), len(classes))
        m = softmax_metrics(features.labels, scores, classes, head.top_k)
        metrics[split] = {head.name: m}
        confusion_matrix(m["confusion_matrix"], classes, run.plots / f"confusion_{split}_{head.name}.png",
                         title=f"{head.name} - {split}, {cfg.model.backbone} (accuracy {m['accuracy']:.3f})")
    run.write_json(run.metrics_path, metrics)
    return metrics


def _save_model(run: RunDir, vocabulary: VisualVocabulary, search, classes: list[str]) -> None:
    buffer = io.BytesIO()
    joblib.dump({"vocabulary": vocabulary, "classifier": search.best_estimator_, "classes": classes}, buffer)
    atomic.write_bytes(run.root / MODEL_FILE, buffer.getvalue())
