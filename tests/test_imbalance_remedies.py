"""Imbalance made visible and its remedies measured by their effect: the warning, focal loss reaching the
compiled model, tf.data's sample_from_datasets balancing, and the stronger augmenter touching rare items only."""

import io
import shutil

import keras
import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from artzoo.config import AugmentConfig, HeadConfig, load_task_config
from artzoo.data.augment import build_augmenter
from artzoo.data.imbalance import head_imbalance, imbalance_lines, imbalance_report
from artzoo.data.pipeline import make_dataset
from artzoo.data.rare_augment import rare_class_table, rare_classes_by_count
from artzoo.errors import ArtzooError
from artzoo.train.imbalance import resolve_rare_classes
from conftest import CIFAR, requires_shared

SIZE = 8
HEAD = HeadConfig(name="style", label="style")


def labelled_data(labels):
    """Flat images whose grey level is 40 * class + 20 (unlabelled items: 20)."""
    def png(value):
        out = io.BytesIO()
        Image.fromarray(np.full((SIZE, SIZE, 3), value, np.uint8)).save(out, format="PNG")
        return out.getvalue()

    images = [png(40 * max(c, 0) + 20) for c in labels]
    return tf.data.Dataset.from_tensor_slices((tf.constant(images), {"style": tf.constant(labels, tf.int32)}))


def test_warning_on_a_skewed_count_and_not_on_a_balanced_one():
    names = ["portrait", "landscape", "still life"]
    skewed = head_imbalance([700, 35, 35], names, threshold=0.5)
    assert skewed["majority_class"] == "portrait" and skewed["majority_share"] == pytest.approx(0.9091)
    assert skewed["imbalance_ratio"] == 20.0 and "'portrait' holds 91%" in skewed["warning"]
    balanced = head_imbalance([100, 90, 110], names, threshold=0.5)
    assert balanced["warning"] is None and balanced["imbalance_ratio"] == pytest.approx(1.22)
    assert head_imbalance([700, 35, 35], names, threshold=0.95)["warning"] is None  # the threshold is honoured
    assert head_imbalance([900, 100, 0], names)["empty_classes"] == ["still life"]
    assert head_imbalance([900, 100, 50], names, multi_label=True)["warning"] is None  # tag shares overlap
    with pytest.raises(ArtzooError, match="data.imbalance_warning must be a share in"):
        head_imbalance([1, 2], names[:2], threshold=1.5)

    report = imbalance_report({"train": {"genre": [700, 35, 35]}, "val": {"genre": [50, 50, 50]}},
                              {"genre": names}, threshold=0.5)
    assert report["warnings"] == ["train/genre: " + skewed["warning"]]
    lines = imbalance_lines(report, splits=["train"])
    assert lines[0].startswith("train/genre: 770 labelled, largest 'portrait' 91%") and len(lines) == 2


def test_focal_loss_config_reaches_the_compiled_model():
    from artzoo.train.phases import compile_model

    plain = {"model.heads.genre.label_smoothing": 0.0}
    focal = load_task_config("genre", {**plain, "model.heads.genre.loss": "focal", "model.heads.genre.focal_gamma": 3,
                                       "model.heads.genre.focal_alpha": 0.5})
    assert focal.model.heads[0].focal_gamma == 3.0
    inputs = keras.Input((3,))
    model = keras.Model(inputs, {"genre": keras.layers.Dense(4, activation="softmax", name="genre")(inputs)})
    x = np.random.default_rng(1).normal(size=(16, 3)).astype(np.float32)
    y = np.eye(4, dtype=np.float32)[np.arange(16) % 4]
    p = np.clip(np.asarray(model(x)["genre"]), 1e-7, 1 - 1e-7)
    p_true = (p * y).sum(1)
    losses = {}
    for name, cfg in (("focal", focal), ("crossentropy", load_task_config("genre", plain))):
        compile_model(model, cfg, 1e-3, steps=1, epochs=1)
        losses[name] = model.evaluate(x, {"genre": y}, verbose=0, return_dict=True)["loss"]
    expected_focal = np.mean(0.5 * (1 - p_true) ** 3 * -np.log(p_true))
    assert losses["focal"] == pytest.approx(expected_focal, rel=1e-4)
    assert losses["crossentropy"] == pytest.approx(np.mean(-np.log(p_true)), rel=1e-4)
    assert isinstance(model.loss["genre"], keras.losses.CategoricalCrossentropy)  # recompiled with the plain one


def test_sample_from_datasets_balances_every_epoch_anew():
    labels = [0] * 60 + [1] * 20 + [2] * 10 + [-1] * 4
    ds = make_dataset(labelled_data(labels), [HEAD], {"style": 3}, SIZE, 16, training=True, balance="sample", seed=3)
    epochs = [np.concatenate([np.argmax(y["style"], 1) for _, y, _ in ds.as_numpy_iterator()]) for _ in range(12)]
    drawn = np.concatenate(epochs)
    assert {len(e) for e in epochs} == {90}  # as many items as were labelled
    assert np.bincount(drawn, minlength=3) / len(drawn) == pytest.approx([1 / 3] * 3, abs=0.04)
    assert len({tuple(e) for e in epochs}) == 12
    images = np.concatenate([x[:, 0, 0, 0] for x, _, _ in ds.as_numpy_iterator()])
    assert set(images) <= {20.0, 60.0, 100.0}  # decoded items of the three classes, unlabelled ones never drawn


def test_rare_class_augmentation_only_touches_rare_class_items():
    labels = [0, 1, 2, 2, -1, 0, 1, 2, 0, 0, 1, 2]
    tables = {"style": rare_class_table(["big", "mid", "rare"], ["rare"])}
    strong = build_augmenter(AugmentConfig(flip=False, rotation=0.0, zoom=0.0, contrast=0.0, brightness=0.5), 7)
    ds = make_dataset(labelled_data(labels), [HEAD], {"style": 3}, SIZE, len(labels), training=True, seed=1,
                      shuffle_buffer=1, rare_augmenter=strong, rare_classes=tables)
    changed = []
    for _ in range(3):
        images, targets, weights = next(ds.as_numpy_iterator())
        grey = np.array([40.0 * max(c, 0) + 20 for c in labels])
        diff = np.abs(images - grey[:, None, None, None]).max(axis=(1, 2, 3))
        rare = np.array(labels) == 2
        assert (diff[~rare] == 0).all()  # big, mid and the unlabelled item untouched
        changed.append(diff[rare] > 1)
    assert np.mean(changed) > 0.8


def test_rare_classes_come_from_counts_and_names_are_checked():
    assert rare_classes_by_count([700, 700, 35, 0, 349, 350], below=0.5) == [2, 3, 4]
    cfg = load_task_config("genre", {"model.heads.genre.cascade": "soft"})
    classes = {"genre": ["Genre", "Landscape", "Naturmort", "Portrait"]}
    resolved = resolve_rare_classes(cfg, {"genre": [210, 250, 40, 250]}, classes)
    assert resolved.model.heads[0].rare_classes == ("Naturmort",)
    named = load_task_config("genre", {"model.heads.genre.rare_augment": True,
                                       "model.heads.genre.rare_classes": ["Nature morte"]})
    with pytest.raises(ArtzooError, match="rare class 'Nature morte' is not a class of the head; expected some"):
        resolve_rare_classes(named, {"genre": [210, 250, 40, 250]}, classes)
    with pytest.raises(ArtzooError, match=r"a cascade needs rare classes and no class has fewer than data.rare_below"):
        resolve_rare_classes(cfg, {"genre": [210, 250, 240, 250]}, classes)
    with pytest.raises(ArtzooError, match=r"value for model.heads.0.cascade"):
        load_task_config("genre", {"model.heads.genre.cascade": "two_step"})


@requires_shared(CIFAR)
def test_datasets_info_reports_imbalance_and_warns_past_the_threshold(tmp_path, capsys):
    from artzoo.cli import main

    root = tmp_path / "skewed"
    for split, per_class in (("train", {"automobile": 12, "bird": 2, "dog": 2}), ("val", dict.fromkeys(
            ("automobile", "bird", "dog"), 2))):
        for name, n in per_class.items():
            (root / split / name).mkdir(parents=True)
            first = 0 if split == "train" else 20  # val files differ from train's (duplicates are quarantined)
            for f in sorted((CIFAR / name).glob("*.png"))[first:first + n]:
                shutil.copy(f, root / split / name / f.name)
    tfds_dir = str(tmp_path / "tfds")
    assert main(["datasets", "build", "art_folder", "--manual-dir", str(root), "--tfds-dir", tfds_dir]) == 0
    out = capsys.readouterr().out
    train, val = out.split("train: 16 images")[1].split("val: 6 images")
    assert "    imbalance: 16 labelled, largest 'automobile' 75%, smallest 'bird', imbalance ratio 6" in train
    assert "    warning: class 'automobile' holds 75% of the items (above 50%)" in train
    assert "imbalance ratio 1" in val and "warning" not in val
    config = "skewed"  # art_folder names the config after the folder
    assert main(["datasets", "info", "art_folder", "--config", config, "--tfds-dir", tfds_dir,
                 "--imbalance-warning", "0.8"]) == 0
    assert "warning" not in capsys.readouterr().out
    assert main(["datasets", "info", "art_folder", "--config", config, "--tfds-dir", tfds_dir,
                 "--imbalance-warning", "1.5"]) == 2
    assert "data.imbalance_warning must be a share in (0, 1], got 1.5" in capsys.readouterr().err
