"""A short real training run on Louvre paintings, then the run directory, the export and `predict`."""

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from conftest import run_cli

from artzoo.errors import ArtzooError


@pytest.fixture(scope="module")
def trained_run(louvre_small, tmp_path_factory):
    """MobileNetV2 with its ImageNet weights, 96 px, 10 short frozen epochs + 1 fine-tune epoch.

    64 training images give 8 steps an epoch: fewer epochs left val accuracy swinging around chance x 2."""
    root = tmp_path_factory.mktemp("genre_run")
    result = run_cli(
        "train", "--task", "genre", "--data-dir", str(louvre_small), "--backbone", "mobilenet_v2",
        "--image-size", "96", "--batch-size", "8", "--epochs", "10", "--fine-tune-epochs", "1",
        "--run-dir", str(root / "run"), "--export-dir", str(root / "saved_models"), "--quiet",
        "--set", "train.fine_tune_blocks=2", "--set", "train.learning_rate=5e-3", "--set", "train.schedule=constant",
        "--set", "model.heads.genre.label_smoothing=0", "--set", "model.heads.genre.dropout=0",
        "--set", "data.augment.rotation=0", "--set", "data.augment.zoom=0",
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return root


def test_run_directory_holds_every_artefact(trained_run):
    run = trained_run / "run"
    for name in ("config.yaml", "labels.json", "data.json", "history.csv", "model.keras", "metrics.json",
                 "run.json", "plots/training_curves.png", "plots/confusion_val_genre.png"):
        assert (run / name).is_file(), name
    assert any((run / "tensorboard").rglob("events.out.tfevents*"))
    labels = json.loads((run / "labels.json").read_text())
    assert labels == {"genre": ["Genre", "Landscape", "Naturmort", "Portrait"]}


def test_history_has_both_phases_once_per_epoch(trained_run):
    lines = (trained_run / "run" / "history.csv").read_text().strip().splitlines()
    header = lines[0].split(",")
    rows = [dict(zip(header, l.split(","))) for l in lines[1:]]
    assert [int(r["epoch"]) for r in rows] == list(range(11))
    assert [int(float(r["phase"])) for r in rows] == [1] * 10 + [2]
    assert float(rows[10]["learning_rate"]) < float(rows[0]["learning_rate"])


def test_metrics_are_consistent_and_better_than_chance(trained_run):
    metrics = json.loads((trained_run / "run" / "metrics.json").read_text())["val"]["genre"]
    confusion = np.array(metrics["confusion_matrix"])
    assert confusion.sum() == metrics["n"] == 24
    assert metrics["accuracy"] == pytest.approx(np.trace(confusion) / confusion.sum())
    assert set(metrics["per_class"]) == {"Genre", "Landscape", "Naturmort", "Portrait"}
    # 4 balanced classes: chance is 0.25; ImageNet features separate these genres well.
    assert metrics["accuracy"] >= 0.5


def test_export_is_versioned_and_loads_without_artzoo(trained_run):
    version_dir = trained_run / "saved_models" / "genre" / "1"
    assert (version_dir / "saved_model.pb").is_file()
    val_images = sorted(str(p) for p in Path(json.loads((trained_run / "run" / "data.json").read_text())
                                              ["source"].split(":", 1)[1]).glob("val/*/*.jpg"))
    assert len(val_images) == 24
    script = textwrap.dedent(
        """
        import json, sys
        import tensorflow as tf
        model = tf.saved_model.load(sys.argv[1])
        files = json.loads(sys.argv[2])
        out = model.signatures["serving_default"](image_bytes=tf.constant([open(f, "rb").read() for f in files]))
        print(json.dumps({"labels": [l[0].decode() for l in out["genre_top_k_labels"].numpy()],
                          "modules": sorted(m for m in sys.modules if m.startswith("artzoo"))}))
        """
    )
    result = subprocess.run([sys.executable, "-c", script, str(version_dir), json.dumps(val_images)],
                            capture_output=True, text=True, cwd="/", timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    served = json.loads(result.stdout.strip().splitlines()[-1])
    assert served["modules"] == []  # artzoo was never imported

    import keras
    import tensorflow as tf

    from artzoo.data.resize import decode_rgb, resize_image
    import artzoo.models.layers  # noqa: F401

    model = keras.models.load_model(trained_run / "run" / "model.keras", safe_mode=True)
    batch = np.stack([resize_image(decode_rgb(tf.io.read_file(f)), 96).numpy() for f in val_images])
    classes = ["Genre", "Landscape", "Naturmort", "Portrait"]
    keras_top1 = [classes[i] for i in model.predict(batch, verbose=0)["genre"].argmax(axis=1)]
    assert served["labels"] == keras_top1


def test_second_export_gets_a_new_version(trained_run, tmp_path):
    import keras

    import artzoo.models.layers  # noqa: F401
    from artzoo.export.saved_model import HeadSpec, ServingSpec, export_saved_model

    model = keras.models.load_model(trained_run / "run" / "model.keras", safe_mode=True)
    spec = ServingSpec([HeadSpec("genre", ["Genre", "Landscape", "Naturmort", "Portrait"])], image_size=96)
    base = trained_run / "saved_models" / "genre"
    before = (base / "1" / "saved_model.pb").read_bytes()
    second = export_saved_model(model, spec, base)
    assert second.name == "2"
    assert (base / "1" / "saved_model.pb").read_bytes() == before
    with pytest.raises(ArtzooError, match="already exists; versions are never overwritten"):
        export_saved_model(model, spec, base, version=1)


def test_predict_cli_prints_top_k_from_the_export(trained_run, louvre_small):
    image = sorted((louvre_small / "val" / "Portrait").glob("*.jpg"))[0]
    result = run_cli("predict", str(trained_run / "saved_models" / "genre"), str(image), "--json", "--top-k", "2")
    assert result.returncode == 0, result.stderr[-2000:]
    out = json.loads(result.stdout)
    preds = out[0]["genre"]
    assert len(preds) == 2
    assert {p["label"] for p in preds} <= {"Genre", "Landscape", "Naturmort", "Portrait"}
    assert preds[0]["probability"] >= preds[1]["probability"]


def test_predict_missing_image_is_a_clean_error(trained_run):
    result = run_cli("predict", str(trained_run / "saved_models" / "genre"), "/nonexistent.jpg")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == "artzoo: error: image '/nonexistent.jpg' does not exist"


def test_evaluate_on_a_folder_and_reject_unknown_class(trained_run, louvre_small, tmp_path):
    result = run_cli("evaluate", str(trained_run / "run"), "--data-dir", str(louvre_small / "val"))
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads((trained_run / "run" / "evaluations" / "val.json").read_text())
    assert report["metrics"]["all"]["genre"]["n"] == 24
    result = run_cli("evaluate", str(trained_run / "run"), "--data-dir", str(louvre_small / "val"), "--tta", "flip")
    assert result.returncode == 0, result.stderr[-2000:]
    tta = json.loads((trained_run / "run" / "evaluations" / "val_tta_flip.json").read_text())
    assert tta["tta"] == "flip" and tta["metrics"]["all"]["genre"]["n"] == 24

    bad = tmp_path / "bad"
    (bad / "Sculpture").mkdir(parents=True)
    (bad / "Sculpture" / "a.jpg").write_bytes((sorted((louvre_small / "val" / "Genre").glob("*.jpg"))[0]).read_bytes())
    result = run_cli("evaluate", str(trained_run / "run"), "--data-dir", str(bad))
    assert result.returncode == 2
    assert "class folder 'Sculpture'" in result.stderr and "Traceback" not in result.stderr


def test_evaluate_a_run_without_model_keras_is_a_clean_error(trained_run, louvre_small, tmp_path):
    import shutil

    partial = tmp_path / "partial"
    shutil.copytree(trained_run / "run", partial, ignore=shutil.ignore_patterns("model.keras", "tensorboard"))
    result = run_cli("evaluate", str(partial), "--data-dir", str(louvre_small / "val"))
    assert result.returncode == 2
    assert "has no model.keras" in result.stderr and "Traceback" not in result.stderr
