"""A three-head coordinator (10-way softmax, 2-way softmax, 4-label sigmoid with tuned thresholds; SE and
self-attention on a cnn3 backbone) exported from its run directory: every format returns every head by name."""

import json

import numpy as np
import pytest
import tensorflow as tf

from conftest import CIFAR, requires_shared
from export_helpers import pipeline_pixels

pytestmark = requires_shared(CIFAR)

SIZE = 32
OBJECTS = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
CLASSES = {"object": OBJECTS, "living": ["machine", "animal"], "tags": ["sky", "road", "water", "fur"]}
THRESHOLDS = [0.3, 0.45, 0.55, 0.7]


@pytest.fixture(scope="module")
def multihead(tmp_path_factory):
    import keras

    from artzoo.config import DataConfig, ExportConfig, HeadConfig, ModelConfig, RunConfig
    from artzoo.models.classifier import build_classifier
    from artzoo.run_dir import RunDir

    root = tmp_path_factory.mktemp("multihead")
    heads = (HeadConfig(name="object", top_k=3), HeadConfig(name="living", top_k=3),
             HeadConfig(name="tags", type="sigmoid", top_k=4))
    cfg = RunConfig(task="coordinator", run_dir=str(root / "run"), data=DataConfig(image_size=SIZE),
                    model=ModelConfig(backbone="cnn3", weights="none", se=True, attention=True, heads=heads),
                    export=ExportConfig(dir=str(root / "saved_models")))
    keras.utils.set_random_seed(1)
    model = build_classifier(cfg.model, CLASSES, SIZE)
    run = RunDir.create(cfg.run_dir, cfg.task)
    run.save_config(cfg)
    run.write_json(run.labels_path, CLASSES)
    run.write_json(run.metrics_path, {"val": {"tags": {"thresholds": THRESHOLDS}, "object": {"accuracy": 0.1}}})
    model.save(run.model_path)
    files = [str(sorted((CIFAR / c).glob("*.png"))[0]) for c in OBJECTS[:7]]
    return {"root": root, "run": run, "model": model, "files": files, "pixels": pipeline_pixels(files, SIZE)}


def test_saved_model_returns_every_head_by_name_with_tuned_thresholds(multihead):
    from artzoo.export.exporter import export_run_dir
    from artzoo.export.saved_model import read_metadata

    version = export_run_dir(multihead["run"].root, "saved_model")
    assert version == multihead["root"] / "saved_models" / "coordinator" / "1"
    assert read_metadata(version)["heads"][2]["thresholds"] == THRESHOLDS
    loaded = tf.saved_model.load(str(version))
    encoded = tf.constant([open(f, "rb").read() for f in multihead["files"]])
    by_bytes = {k: v.numpy() for k, v in loaded.signatures["serving_default"](image_bytes=encoded).items()}
    by_images = loaded.signatures["serving_images"](images=tf.constant(multihead["pixels"]))
    parts = ("probabilities", "top_k_ids", "top_k_scores", "top_k_labels")
    expected = {f"{h}_{part}" for h in CLASSES for part in parts}
    assert set(by_bytes) == set(by_images) == expected | {"tags_decisions"}

    reference = multihead["model"].predict(multihead["pixels"], verbose=0)
    for head, classes in CLASSES.items():
        probs = by_bytes[f"{head}_probabilities"]
        assert probs.shape == (7, len(classes))
        assert np.abs(probs - reference[head]).max() <= 1e-4
        assert np.abs(probs - by_images[f"{head}_probabilities"].numpy()).max() <= 1e-4
        ids = by_bytes[f"{head}_top_k_ids"]
        assert ids.shape == (7, min(len(classes), 4 if head == "tags" else 3))
        np.testing.assert_array_equal(ids[:, 0], probs.argmax(axis=1))
        np.testing.assert_allclose(by_bytes[f"{head}_top_k_scores"], np.take_along_axis(probs, ids, axis=1))
        assert by_bytes[f"{head}_top_k_labels"].tolist() == [[classes[i].encode() for i in row] for row in ids]
    np.testing.assert_array_equal(by_bytes["tags_decisions"],
                                  by_bytes["tags_probabilities"] >= np.array(THRESHOLDS, np.float32))


@pytest.mark.parametrize("fmt", ["tflite", "onnx"])
def test_tflite_and_onnx_keep_every_head_within_1e3(multihead, fmt):
    from artzoo.export.exporter import export_run_dir
    from artzoo.exported_model import open_exported

    path = export_run_dir(multihead["run"].root, fmt, multihead["root"] / "files" / "coordinator")
    exported = open_exported(path)
    assert exported.heads == [("object", "softmax"), ("living", "softmax"), ("tags", "sigmoid")]
    probs = exported.probabilities(multihead["pixels"])
    reference = multihead["model"].predict(multihead["pixels"], verbose=0)
    for head in CLASSES:
        assert np.abs(np.asarray(probs[head]) - reference[head]).max() <= 1e-3, head
    outputs = exported.outputs([open(f, "rb").read() for f in multihead["files"]])
    np.testing.assert_array_equal(outputs["tags_decisions"],
                                  outputs["tags_probabilities"] >= np.array(THRESHOLDS, np.float32))


def test_predict_lists_every_head_and_flags_positive_labels(multihead, capsys):
    from artzoo.cli import main

    path = multihead["root"] / "files" / "coordinator.keras"
    assert main(["export", str(multihead["run"].root), "--format", "keras", "--out", str(path)]) == 0
    capsys.readouterr()
    assert main(["predict", str(path), *multihead["files"][:2], "--json"]) == 0
    entries = json.loads(capsys.readouterr().out)
    reference = multihead["model"].predict(multihead["pixels"][:2], verbose=0)
    for i, entry in enumerate(entries):
        assert set(entry) == {"image", "object", "living", "tags"}
        assert [p["label"] for p in entry["object"]] == [OBJECTS[j] for j in np.argsort(-reference["object"][i])[:3]]
        for pred in entry["tags"]:
            j = CLASSES["tags"].index(pred["label"])
            assert pred["positive"] == bool(reference["tags"][i][j] >= THRESHOLDS[j])
