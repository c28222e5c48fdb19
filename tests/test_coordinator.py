"""The multi-head coordinator on real CIFAR-10 images: per-head loss weights, class weights as sample
weights, per-head metrics; and specialists mode composed into one model and one SavedModel."""

import csv
import json
from dataclasses import replace

import keras
import numpy as np
import pytest
import tensorflow as tf

from artzoo.config import HeadConfig
from artzoo.data.balance import class_weights
from artzoo.data.pipeline import make_dataset
from artzoo.data.sources import LabeledData
from artzoo.errors import ArtzooError
from artzoo.models.specialists import compose_specialists, specialist
from artzoo.train.runner import train
from artzoo.train.specialists import head_data
from conftest import CIFAR, requires_shared
from multihead_data import HEADS, copy_cifar_subset, multihead_data, tiny_config

pytestmark = requires_shared(CIFAR)


@pytest.fixture(scope="module")
def cifar_root(tmp_path_factory):
    # 10 per class: split 7 / 2 / 1 per class -> 70 train, 20 val, 10 test.
    return copy_cifar_subset(CIFAR, tmp_path_factory.mktemp("cifar_heads"), per_class=10)


@pytest.fixture(scope="module")
def shared_run(cifar_root, tmp_path_factory):
    cfg = tiny_config(tmp_path_factory.mktemp("shared"))
    return train(cfg, verbose=0, data=multihead_data(cifar_root))


def _history(run):
    with open(run.history_path) as f:
        return list(csv.DictReader(f))


def test_derived_heads_follow_the_class(cifar_root):
    data = multihead_data(cifar_root)
    assert data.counts["train"] == {"class": [7] * 10, "kind": [42, 28], "attributes": [14, 14, 42]}
    assert data.classes["attributes"] == ["flies", "has_wheels", "is_animal"]
    for _, labels in data.split("val").as_numpy_iterator():
        name = data.classes["class"][labels["class"]]
        assert data.classes["kind"][labels["kind"]] == ("vehicle" if name in ("airplane", "automobile", "ship", "truck")
                                                        else "animal")
        assert bool(labels["attributes"][0]) == (name in ("airplane", "bird"))


def test_folder_splits_interleave_the_classes(cifar_root):
    # Class-by-class order would defeat a shuffle buffer smaller than the split.
    labels = [int(y["class"]) for _, y in multihead_data(cifar_root).split("train").as_numpy_iterator()]
    assert sorted(labels) == sorted(list(range(10)) * 7)
    assert sum(a != b for a, b in zip(labels, labels[1:])) > len(labels) // 2


def test_every_head_has_its_own_metrics_each_epoch(shared_run):
    rows = _history(shared_run)
    assert len(rows) == 2
    for column in ("val_class_accuracy", "val_class_top3", "val_kind_accuracy", "val_attributes_accuracy",
                   "val_attributes_auc", "class_loss", "kind_loss", "attributes_loss"):
        assert column in rows[0], column
    metrics = json.loads(shared_run.metrics_path.read_text())
    assert set(metrics["val"]) == {"class", "kind", "attributes"}
    assert metrics["val"]["class"]["n"] == metrics["val"]["kind"]["n"] == metrics["val"]["attributes"]["n"] == 20
    assert "f2_micro" in metrics["val"]["attributes"] and "macro" in metrics["val"]["kind"]


def test_total_loss_is_the_loss_weighted_sum_of_the_heads(shared_run):
    # val: 20 images in batches of 10 and no class weights, so the logged means combine exactly.
    weights = {h.name: h.loss_weight for h in HEADS}
    for row in _history(shared_run):
        expected = sum(w * float(row[f"val_{name}_loss"]) for name, w in weights.items())
        assert float(row["val_loss"]) == pytest.approx(expected, rel=1e-5)


def test_outputs_are_a_float32_dict_per_head(shared_run):
    model = keras.models.load_model(shared_run.model_path, safe_mode=True)
    out = model.predict(np.zeros((2, 32, 32, 3), "float32"), verbose=0)
    assert set(out) == {"class", "kind", "attributes"}
    assert out["class"].shape == (2, 10) and out["kind"].shape == (2, 2) and out["attributes"].shape == (2, 3)
    assert all(v.dtype == np.float32 for v in out.values())
    assert np.allclose(out["class"].sum(axis=1), 1.0, atol=1e-5)  # softmax
    assert not np.allclose(out["attributes"].sum(axis=1), 1.0, atol=1e-3)  # independent sigmoids


def test_class_weights_become_per_head_sample_weights(cifar_root):
    data = multihead_data(cifar_root)
    counts = data.counts["train"]["kind"]  # 42 animals, 28 vehicles
    weights = {"kind": class_weights(counts, "balanced")}
    assert weights["kind"] == pytest.approx([70 / (2 * 42), 70 / (2 * 28)], rel=1e-6)
    ds = make_dataset(data.split("train"), HEADS, {"class": 10, "kind": 2, "attributes": 3}, 32, 70,
                      class_weights=weights, cache=False)
    _, targets, sample_weights = next(iter(ds))
    kind = targets["kind"].numpy().argmax(axis=1)
    np.testing.assert_allclose(sample_weights["kind"].numpy(), weights["kind"][kind], rtol=1e-6)
    np.testing.assert_array_equal(sample_weights["class"].numpy(), np.ones(70, np.float32))
    # Balanced weights: the weighted mean over the training set is 1, so the head keeps its loss scale.
    assert sample_weights["kind"].numpy().mean() == pytest.approx(1.0, rel=1e-5)


def test_missing_labels_get_zero_weight_and_are_left_out_of_specialist_data():
    images = tf.constant([tf.io.encode_png(tf.fill([8, 8, 3], tf.constant(v, tf.uint8))).numpy() for v in (0, 90, 180)])
    labels = {"a": tf.constant([0, -1, 1]), "b": tf.constant([[1.0, 0.0], [0.0, 1.0], [-1.0, -1.0]])}
    heads = (HeadConfig("a"), HeadConfig("b", type="sigmoid"))
    data = LabeledData({"train": tf.data.Dataset.from_tensor_slices((images, labels))},
                       {"a": ["x", "y"], "b": ["p", "q"]}, {"train": {"a": [1, 1], "b": [1, 1]}})
    _, _, sw = next(iter(make_dataset(data.split("train"), heads, {"a": 2, "b": 2}, 8, 3, cache=False)))
    np.testing.assert_array_equal(sw["a"].numpy(), [1, 0, 1])
    np.testing.assert_array_equal(sw["b"].numpy(), [1, 1, 0])
    only_a = [labels["a"] for _, labels in head_data(data, heads[0]).split("train").as_numpy_iterator()]
    assert only_a == [0, 1]
    only_b = [labels["b"].tolist() for _, labels in head_data(data, heads[1]).split("train").as_numpy_iterator()]
    assert only_b == [[1.0, 0.0], [0.0, 1.0]]


# --- specialists mode -------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def specialists_run(cifar_root, tmp_path_factory):
    root = tmp_path_factory.mktemp("specialists")
    heads = (HEADS[0], HEADS[2])
    cfg = tiny_config(root, heads=heads, fine_tune_epochs=0)
    cfg = replace(cfg, model=replace(cfg.model, mode="specialists"), export=replace(cfg.export, enabled=True))
    return train(cfg, verbose=0, data=multihead_data(cifar_root)), root


def _val_images(cifar_root, n=6):
    files = sorted(cifar_root.glob("*/*.png"))[::17][:n]
    batch = np.stack([tf.image.decode_png(tf.io.read_file(str(f)), channels=3).numpy() for f in files])
    return files, batch.astype("float32")


def test_specialists_are_trained_separately_and_composed(specialists_run, cifar_root):
    run, _ = specialists_run
    assert run.outcome == "trained"  # what `artzoo train` prints from, as for a shared run
    summary = json.loads(run.summary_path.read_text())
    assert summary["mode"] == "specialists" and set(summary["specialists"]) == {"class", "attributes"}
    composed = keras.models.load_model(run.model_path, safe_mode=True)
    _, images = _val_images(cifar_root)
    out = composed.predict(images, verbose=0)
    assert set(out) == {"class", "attributes"}
    for head in ("class", "attributes"):
        alone = keras.models.load_model(run.root / "specialists" / head / "model.keras", safe_mode=True)
        assert [h for h in alone.output_names] == [head]  # each specialist was trained on its head only
        np.testing.assert_allclose(out[head], alone.predict(images, verbose=0)[head], rtol=1e-5, atol=1e-6)
    assert specialist(composed, "class").name == "class_specialist"
    metrics = json.loads(run.metrics_path.read_text())
    assert set(metrics["val"]) == {"class", "attributes"}


def test_specialists_export_as_one_saved_model(specialists_run, cifar_root):
    run, root = specialists_run
    version = root / "saved_models" / "cifar_heads" / "1"
    assert (version / "saved_model.pb").is_file()
    files, images = _val_images(cifar_root)
    served = tf.saved_model.load(str(version)).signatures["serving_default"](
        image_bytes=tf.constant([f.read_bytes() for f in files]))
    assert {k for k in served if k.endswith("_probabilities")} == {"class_probabilities", "attributes_probabilities"}
    composed = keras.models.load_model(run.model_path, safe_mode=True)
    expected = composed.predict(images, verbose=0)
    np.testing.assert_allclose(served["class_probabilities"].numpy(), expected["class"], atol=1e-4)
    np.testing.assert_allclose(served["attributes_probabilities"].numpy(), expected["attributes"], atol=1e-4)
    assert served["class_top_k_labels"].shape == (len(files), 3)


def test_composing_two_specialists_for_one_head_is_an_error():
    def single(head):
        inputs = keras.Input((8, 8, 3))
        pooled = keras.layers.GlobalAveragePooling2D()(inputs)
        return keras.Model(inputs, {head: keras.layers.Dense(2, activation="softmax", name=head)(pooled)})

    with pytest.raises(ArtzooError, match="head 'a' is predicted by two specialists"):
        compose_specialists({"first": single("a"), "second": single("a")}, 8)
    with pytest.raises(ArtzooError, match="no specialist models"):
        compose_specialists({}, 8)


def test_head_metrics_leave_out_items_whose_label_is_missing(tmp_path):
    from artzoo.models.classifier import build_classifier
    from artzoo.train.phases import compile_model

    rng = np.random.default_rng(0)
    images = tf.constant([tf.io.encode_png(rng.integers(0, 255, (32, 32, 3), dtype=np.uint8)).numpy()
                          for _ in range(8)])
    labels = {"a": tf.constant([1, -1, 1, -1, 1, -1, 1, -1])}  # a missing label becomes a class-0 target
    heads = (HeadConfig("a", dropout=0.0),)
    cfg = tiny_config(tmp_path, heads=heads)
    model = build_classifier(cfg.model, {"a": ["x", "y"]}, 32)
    kernel, _ = model.get_layer("a").get_weights()
    model.get_layer("a").set_weights([np.zeros_like(kernel), np.array([0.0, 5.0], "float32")])  # always "y"
    compile_model(model, cfg, 1e-3, steps=1, epochs=1)
    ds = make_dataset(tf.data.Dataset.from_tensor_slices((images, labels)), heads, {"a": 2}, 32, 8, cache=False)
    result = model.evaluate(ds, return_dict=True, verbose=0)
    # Counting the 4 unlabelled items as class "x" would give 0.5; the head is right on every labelled item.
    assert result["accuracy"] == pytest.approx(1.0)
