"""The pseudo-label loop on a few real paintings (cnn3 from scratch + self-attention, 32 px, 2 short rounds):
per-round records, confident-item selection, aligned cluster ids, and `embed --model` reproducing the last
round's features."""

import json
import shutil

import keras
import numpy as np
import pytest

from artzoo.clustering.pseudo_train import FineTuneSettings
from artzoo.clustering.pseudolabel import PseudoLabelSettings, align_to, confident_items, pseudo_label_loop
from artzoo.embeddings.embed import DataSource, embed
from artzoo.embeddings.extractor import EmbedderSettings
from artzoo.embeddings.store import load_embeddings
from artzoo.errors import ArtzooError
from conftest import LOUVRE

CLASSES = ["Genre", "Landscape", "Naturmort", "Portrait"]


@pytest.fixture(scope="module")
def loop_run(tmp_path_factory):
    if not LOUVRE.exists():
        pytest.skip(f"{LOUVRE} not present")
    root = tmp_path_factory.mktemp("pseudo")
    for name in CLASSES:
        (root / "data" / name).mkdir(parents=True)
        for f in sorted((LOUVRE / "val" / name).iterdir())[:6]:
            shutil.copy(f, root / "data" / name / f.name)
    embedder = EmbedderSettings(backbone="cnn3", weights="none", image_size=32, batch_size=8, attention=True)
    settings = PseudoLabelSettings(k=4, rounds=2, keep_fraction=0.5, seed=1, fine_tune=FineTuneSettings(
        head_epochs=1, fine_tune_epochs=1, fine_tune_blocks=2, batch_size=8, learning_rate=3e-3))
    summary = pseudo_label_loop(DataSource(data_dir=str(root / "data")), embedder, settings, root / "out",
                                log=lambda _: None)
    return root, summary


def test_every_round_is_recorded_with_scores(loop_run):
    root, summary = loop_run
    rows = summary["rounds"]
    assert [r["round"] for r in rows] == [0, 1, 2]
    assert rows[0]["train_items"] == 0 and "classifier_accuracy" not in rows[0]
    for r in rows[1:]:
        assert 10 <= r["train_items"] <= 14  # about half of each of the 4 clusters of 24 items
        assert 0 <= r["classifier_accuracy"] <= 1 and 0 <= r["kept_label_precision"] <= 1
        assert -1 <= r["ari_vs_previous"] <= 1
        assert set(r["train_logs"]) == {"head", "fine_tune"}
    for r in rows:
        assert 0.25 <= r["accuracy"] <= r["purity"] + 1e-9  # a one-to-one match never beats majority votes
    out = root / "out"
    assert (out / "rounds.csv").read_text().count("\n") == 4
    assert json.loads((out / "metrics.json").read_text())["rounds"][2]["accuracy"] == rows[2]["accuracy"]
    for name in ("plots/rounds.png", "final/metrics.json", "final/plots/gallery.png", "clusters_round2.csv"):
        assert (out / name).is_file(), name


def test_fine_tuning_changed_the_features(loop_run):
    root, _ = loop_run
    round0 = load_embeddings(root / "out" / "embeddings_round0.npz").embeddings
    round2 = load_embeddings(root / "out" / "embeddings_round2.npz").embeddings
    assert round0.shape == round2.shape == (24, 128)
    assert not np.allclose(round0, round2, atol=1e-4)


def test_embed_with_the_trained_model_reproduces_the_last_round(loop_run, tmp_path):
    root, _ = loop_run
    model_path = root / "out" / "model.keras"
    result = embed(DataSource(data_dir=str(root / "data")), EmbedderSettings(model_path=str(model_path)),
                   tmp_path / "trained.npz")
    meta = result.embeddings.meta
    assert (meta["weights"], meta["backbone"], meta["attention"]) == ("trained model", "cnn3", True)
    gamma = keras.models.load_model(model_path, safe_mode=True, compile=False).get_layer("self_attention").gamma
    assert abs(float(gamma.numpy())) > 0  # the self-attention module was trained (it starts as identity)
    last = load_embeddings(root / "out" / "embeddings_round2.npz")
    assert result.embeddings.ids == last.ids
    np.testing.assert_allclose(result.embeddings.embeddings, last.embeddings, rtol=1e-4, atol=1e-5)
    with pytest.raises(ArtzooError, match="does not match the model's input size 32"):
        embed(DataSource(data_dir=str(root / "data")), EmbedderSettings(model_path=str(model_path), image_size=64),
              tmp_path / "x.npz")


def test_confident_items_keep_the_share_closest_to_their_centre():
    x = np.array([[0.0], [0.1], [0.45], [1.0], [0.9], [0.55]])
    labels = np.array([0, 0, 0, 1, 1, 1])
    centers = np.array([[0.0], [1.0]])
    keep = confident_items(x, labels, centers, fraction=2 / 3)
    assert keep.tolist() == [True, True, False, True, True, False]  # the two items near 0.5 are ambiguous


def test_cluster_ids_are_aligned_to_the_previous_round():
    previous = np.array([0, 0, 1, 1, 2, 2])
    labels = np.array([2, 2, 0, 0, 1, 1])
    centers = np.array([[20.0], [21.0], [22.0]])
    renamed, new_centers = align_to(previous, labels, centers, 3)
    assert renamed.tolist() == previous.tolist()
    assert new_centers[:, 0].tolist() == [22.0, 20.0, 21.0]  # old cluster 2's centre is now cluster 0's


def test_bad_loop_settings_are_errors():
    with pytest.raises(ArtzooError, match="--keep 1.5 must be in"):
        PseudoLabelSettings(keep_fraction=1.5)
    with pytest.raises(ArtzooError, match="--rounds 0 must be at least 1"):
        PseudoLabelSettings(rounds=0)
