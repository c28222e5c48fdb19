"""The public Python API on real Louvre paintings: one short `artzoo.train`, then `load` of every kind of path
with `predict` on paths, bytes and arrays, `embed`, `similar`, `cluster`, `create_model`, `load_config`,
`list_models`; the run's `run.json` environment and the model card next to its exports."""

from __future__ import annotations

import io
import json
import platform
import subprocess
from pathlib import Path

import numpy as np
import pytest
import yaml

import artzoo
from artzoo.errors import ArtzooError
from conftest import REPO
from test_cli_json import cli

GENRES = ["Genre", "Landscape", "Naturmort", "Portrait"]


@pytest.fixture(scope="module")
def run(louvre_small, tmp_path_factory):
    """MobileNet alpha 0.25 (ImageNet), 96 px, heads trained 15 epochs on cached embeddings (an epoch costs
    milliseconds there), SavedModel export."""
    root = tmp_path_factory.mktemp("api_run")
    return artzoo.train(
        "genre", progress=False, run_dir=str(root / "run"), data__data_dir=str(louvre_small),
        model__backbone="mobilenet_2_5", data__image_size=96, data__batch_size=16, train__epochs=15,
        train__fine_tune_epochs=0, train__learning_rate=3e-3, train__schedule="constant",
        export__dir=str(root / "saved_models"),
        **{"data.augment.flip": False, "data.augment.rotation": 0, "data.augment.zoom": 0, "data.augment.contrast": 0},
    )


@pytest.fixture(scope="module")
def val_images(louvre_small) -> list[str]:
    return sorted(str(p) for p in (louvre_small / "val").glob("*/*.jpg"))


def test_train_returns_the_run_with_metrics_model_and_export(run):
    assert run.outcome == "trained"
    assert run.metrics == json.loads((run.path / "metrics.json").read_text())
    assert run.metrics["val"]["genre"]["n"] == 24
    assert run.export == run.path.parent / "saved_models" / "genre" / "1"
    assert (run.export / "saved_model.pb").is_file()
    assert sorted(run.model.output_names) == ["genre"]


def test_run_json_records_versions_device_and_git_commit(run):
    import keras
    import tensorflow as tf

    env = json.loads((run.path / "run.json").read_text())["environment"]
    assert env["versions"] == {"artzoo": artzoo.__version__, "tensorflow": tf.__version__,
                               "keras": keras.__version__, "python": platform.python_version()}
    assert env["device"]["kind"] in ("CPU", "GPU") and env["device"]["names"]
    if (REPO / ".git").exists():
        head = subprocess.run(["git", "-C", str(REPO), "rev-parse", "HEAD"], capture_output=True, text=True).stdout
        assert env["git"]["commit"] == head.strip()


def test_every_kind_of_path_loads_and_predicts_alike(run, val_images):
    """Run dir, its model.keras, the SavedModel base folder and its version folder: same labels, same top-1."""
    predictors = [artzoo.load(p) for p in (run.path, run.path / "model.keras", run.export.parent, run.export)]
    assert [p.kind for p in predictors] == ["run", "run", "saved_model", "saved_model"]
    tops = []
    for predictor in predictors:
        assert predictor.labels == {"genre": GENRES}
        results = predictor.predict(val_images, top_k=1)
        assert [r["image"] for r in results] == val_images
        tops.append([r["genre"][0]["label"] for r in results])
    assert tops[0] == tops[1] == tops[2] == tops[3]
    truth = [Path(p).parent.name for p in val_images]
    assert np.mean(np.array(tops[0]) == np.array(truth)) >= 0.5  # chance is 0.25


def test_predict_takes_bytes_and_arrays_as_well_as_paths(run, val_images):
    from PIL import Image

    predictor = artzoo.load(run.export)
    files = val_images[:3]
    by_path = predictor.predict(files)
    by_bytes = predictor.predict([Path(f).read_bytes() for f in files])
    assert [r["image"] for r in by_bytes] == ["<bytes 0>", "<bytes 1>", "<bytes 2>"]
    assert [r["genre"] for r in by_bytes] == [r["genre"] for r in by_path]
    # an array is sent losslessly (PNG): the same pixels as the file give the same probabilities
    png = io.BytesIO()
    Image.open(files[0]).convert("RGB").save(png, format="PNG")
    pixels = np.asarray(Image.open(files[0]).convert("RGB"))
    one_array = predictor.predict(pixels)  # a single image needs no list
    assert len(one_array) == 1 and one_array[0]["image"] == "<array 0>"
    assert one_array[0]["genre"] == predictor.predict(png.getvalue())[0]["genre"]
    corrupt = predictor.predict([b"not an image", files[0]])
    assert "error" in corrupt[0] and corrupt[1]["genre"] == by_path[0]["genre"]
    with pytest.raises(ArtzooError, match="expected \\(height, width, 3\\) RGB"):
        predictor.predict([np.zeros((4, 4))])


def test_a_keras_export_loads_and_has_its_model_card(run, val_images, tmp_path):
    from artzoo.export.exporter import export_run_dir

    path = export_run_dir(run.path, "keras", tmp_path / "genre")
    predictor = artzoo.load(path)
    assert predictor.kind == "keras" and predictor.labels == {"genre": GENRES}
    assert [r["genre"] for r in predictor.predict(val_images[:4])] == \
        [r["genre"] for r in artzoo.load(run.path).predict(val_images[:4])]
    card = (tmp_path / "genre.keras.README.md").read_text()
    assert card.startswith("---\n") and "artzoo.load(" in card


def test_the_savedmodel_export_has_a_hugging_face_model_card(run):
    text = (run.export / "README.md").read_text()
    _, front, body = text.split("---\n", 2)
    meta = yaml.safe_load(front)
    assert meta["license"] == "other" and meta["library_name"] == "keras"
    assert meta["pipeline_tag"] == "image-classification"
    assert meta["datasets"] == [Path(artzoo.load_config(run.path / "config.yaml").data.data_dir).name]
    (result,) = meta["model-index"][0]["results"]
    accuracy = {m["name"]: m["value"] for m in result["metrics"]}["val accuracy (genre)"]
    assert accuracy == pytest.approx(run.metrics["val"]["genre"]["accuracy"], abs=1e-4)
    for section in ("## Intended use", "## Training data", "## Metrics", "## Limitations", "## How to use"):
        assert section in body
    assert f"artzoo {artzoo.__version__}" in body


def test_embed_similar_and_cluster(louvre_small, val_images, tmp_path):
    index = tmp_path / "index.npz"
    emb = artzoo.embed(louvre_small / "val", out=index, backbone="mobilenet_2_5", image_size=96, progress=False)
    assert emb.embeddings.shape == (24, 256) and index.is_file()
    assert sorted(set(emb.class_names)) == GENRES
    files = artzoo.embed(val_images[:2], backbone="mobilenet_2_5", image_size=96, progress=False)
    row = [Path(p).name for p in emb.paths].index(Path(val_images[0]).name)
    np.testing.assert_allclose(files.embeddings[0], emb.embeddings[row], rtol=1e-4, atol=1e-4)
    hits = artzoo.similar(val_images[0], index, k=3)["hits"]
    assert hits[0]["id"] == emb.ids[row] and hits[0]["score"] == pytest.approx(1.0, abs=1e-4)
    outcome = artzoo.cluster(index, k=4, out=tmp_path / "clusters", normalize="l2")
    assert sorted(set(outcome.result.labels.tolist())) == [0, 1, 2, 3]
    report = json.loads((tmp_path / "clusters" / "metrics.json").read_text())
    assert report["k"] == 4 and report["scores"]["external"]["n_labelled"] == 24
    assigned = artzoo.assign_clusters(tmp_path / "clusters", val_images[:1], out=tmp_path / "new.csv")
    assert assigned["method"] == "kmeans++" and assigned["k"] == 4
    assert assigned["assignments"][0]["cluster"] == outcome.result.labels[row]  # re-embedded, same cluster
    assert (tmp_path / "new.csv").read_text().splitlines()[1].split(",")[2] == str(outcome.result.labels[row])


def test_cluster_takes_a_plain_array():
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.normal(0, 1, (20, 4)), rng.normal(8, 1, (20, 4))])
    outcome = artzoo.cluster(x, k=2, seed=1, n_init=3)
    assert sorted(np.bincount(outcome.result.labels).tolist()) == [20, 20]
    with pytest.raises(ArtzooError, match="2-D array"):
        artzoo.cluster(np.zeros(5), k=2)


def test_cluster_scan_and_hdbscan_save_clusterers_that_assign_vectors(tmp_path):
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.normal(0, 1, (40, 6)), rng.normal(6, 1, (40, 6))]).astype(np.float32)
    flipped = x + rng.normal(0, 0.1, x.shape).astype(np.float32)
    scan = artzoo.cluster(x, k=2, method="scan", out=tmp_path / "scan", views=[flipped], seed=0, heads=2,
                          epochs=3, rounds=0, neighbours=5)
    assert sorted(np.bincount(scan.result.labels).tolist()) == [40, 40]
    stages = json.loads((tmp_path / "scan" / "metrics.json").read_text())["method_info"]["stages"]
    assert stages[0]["views"] == 2  # the original and the given view
    again = artzoo.assign_clusters(tmp_path / "scan", x)
    assert [a["cluster"] for a in again["assignments"]] == scan.result.labels.tolist()
    assert all(0.5 <= a["probability"] <= 1.0 for a in again["assignments"])
    dense = artzoo.cluster(x, method="hdbscan", out=tmp_path / "hdbscan", min_cluster_size=10)
    assert len(set(dense.result.labels.tolist()) - {-1}) == 2
    rows = artzoo.assign_clusters(tmp_path / "hdbscan", x)["assignments"]
    assert [a["cluster"] for a in rows] == dense.result.labels.tolist() and "membership" in rows[0]
    with pytest.raises(ArtzooError, match="unknown clustering setting.*bogus"):
        artzoo.cluster(x, k=2, bogus=1)
    with pytest.raises(ArtzooError, match="shape"):
        artzoo.assign_clusters(tmp_path / "scan", x[:, :3])


def test_create_model_builds_the_coordinator_with_named_heads():
    model = artzoo.create_model("mobilenet_2_5", heads={"genre": GENRES, "tags": {"classes": 3, "type": "sigmoid"}},
                                image_size=64, weights="none")
    out = model.predict(np.full((2, 64, 64, 3), 128.0, np.float32), verbose=0)
    assert out["genre"].shape == (2, 4) and out["tags"].shape == (2, 3)
    np.testing.assert_allclose(out["genre"].sum(axis=1), 1.0, rtol=1e-5)  # softmax
    assert not np.allclose(out["tags"].sum(axis=1), 1.0)  # independent sigmoids
    with pytest.raises(ArtzooError, match="needs heads"):
        artzoo.create_model("mobilenet_2_5")
    with pytest.raises(ArtzooError, match="unknown backbone"):
        artzoo.create_model("no_such_net", heads={"a": 2})


def test_load_config_applies_overrides_and_names_bad_keys(tmp_path):
    cfg = artzoo.load_config("genre", train__epochs=1, **{"data.image_size": 96})
    assert (cfg.train.epochs, cfg.data.image_size, cfg.model.heads[0].name) == (1, 96, "genre")
    assert artzoo.load_config(cfg, train__seed=7).train.seed == 7
    path = tmp_path / "mine.yaml"
    path.write_text("task: mine\nmodel:\n  heads:\n    - name: style\n")
    assert artzoo.load_config(path).model.heads[0].name == "style"
    with pytest.raises(ArtzooError, match="train.epoch"):
        artzoo.load_config("genre", train__epoch=1)
    with pytest.raises(ArtzooError, match="unknown task 'nope'"):
        artzoo.load_config("nope")


def test_list_models_filters_by_pattern():
    assert artzoo.list_models("mobilenet_v2") == ["mobilenet_v2"]
    assert set(artzoo.list_models("mobilenet*")) < set(artzoo.list_models())
    assert artzoo.list_models("no_such*") == []


def test_list_models_pretrained_lists_the_weight_tags():
    tags = artzoo.list_models(pretrained=True)
    assert "mobilenet_v2.imagenet" in tags and "resnet50.imagenet" in tags
    assert {t.split(".")[0] for t in tags} < set(artzoo.list_models())  # from-scratch baselines and ViTs: no tag
    assert artzoo.list_models("vit*", pretrained=True) == [] and artzoo.list_models("cnn3", pretrained=True) == []
    assert artzoo.list_models("mobilenet_v3*", pretrained=True) == ["mobilenet_v3_large.imagenet",
                                                                      "mobilenet_v3_small.imagenet"]


def test_cli_predict_and_evaluate_json_use_the_same_results(run, louvre_small, val_images, capsys, monkeypatch):
    predicted = cli(capsys, monkeypatch, "predict", str(run.path), *val_images[:2], "--json", "--quiet")
    assert json.loads(predicted) == artzoo.load(run.path).predict(val_images[:2])
    report = json.loads(cli(capsys, monkeypatch, "evaluate", str(run.path), "--data-dir", str(louvre_small / "val"),
                            "--json", "--quiet"))
    ((split, per_head),) = report["metrics"].items()
    assert per_head["genre"]["n"] == 24
    assert per_head["genre"]["accuracy"] == pytest.approx(run.metrics["val"]["genre"]["accuracy"])


def test_the_docstring_examples_run():
    """The runnable docstring examples of artzoo.api (those needing files are marked to skip and are the tests
    above)."""
    import doctest

    import artzoo.api

    result = doctest.testmod(artzoo.api, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
    assert result.attempted >= 8
