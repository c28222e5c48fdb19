"""Saved clusterers: every method round-trips through clusterer.json / .npz / .keras and assigns the fitted
vectors to the clusters they were fitted into; `artzoo cluster assign` embeds real paintings again and finds
their clusters; the feature preparation (L2, PCA, whitening, KernelPCA) replays exactly on new vectors."""

import json
import shutil

import numpy as np
import pytest
from sklearn.datasets import make_blobs

from artzoo.clustering.assign import assign_vectors
from artzoo.clustering.clusterer import load_clusterer
from artzoo.clustering.methods import MethodSettings
from artzoo.clustering.reduce import apply_preparation, fit_preparation
from cluster_harness import cluster_file
from artzoo.clustering.run import ClusterSettings
from artzoo.clustering.scan_settings import ScanSettings
from artzoo.embeddings.store import EmbeddingSet, load_embeddings, save_embeddings
from artzoo.errors import ArtzooError
from conftest import LOUVRE, run_cli

CLASSES = ["Genre", "Landscape", "Naturmort", "Portrait"]
SMALL_SCAN = ScanSettings(neighbours=5, heads=2, epochs=3, rounds=1, self_label_epochs=2, batch_size=64)


@pytest.fixture(scope="module")
def blob_set(tmp_path_factory):
    x, y = make_blobs(n_samples=240, centers=4, n_features=12, cluster_std=1.5, random_state=2)
    emb = EmbeddingSet(x.astype(np.float32), [f"b{i}" for i in range(240)], [""] * 240, y, ["all"] * 240,
                       ["a", "b", "c", "d"], {"backbone": "none", "image_size": 1})
    return save_embeddings(emb, tmp_path_factory.mktemp("blobs") / "blobs.npz")


@pytest.mark.parametrize("method, k, extra", [
    ("kmeans++", 4, {}), ("minibatch", 4, {}), ("gmm", 4, {}), ("dbscan", None, {}), ("hdbscan", None, {}),
    ("scan", 4, {}), ("kmeans++", 4, {"normalize": "l2", "reduce": "pca:6", "whiten": True}),
    ("gmm", 4, {"reduce": "kpca:5"}),
])
def test_saved_clusterer_assigns_the_fitted_vectors_to_their_clusters(blob_set, tmp_path, method, k, extra):
    settings = ClusterSettings(method=method, k=k, seed=1, method_settings=MethodSettings(n_init=2, scan=SMALL_SCAN),
                               **extra)
    metrics = cluster_file(blob_set, settings, tmp_path)
    clusterer = load_clusterer(tmp_path)
    assert clusterer.method == method and clusterer.n_fit == 240 and clusterer.k == metrics["k"]
    doc = json.loads((tmp_path / "clusterer.json").read_text())
    assert doc["embedder"]["backbone"] == "none" and set(doc["cluster_names"].values()) <= {"a", "b", "c", "d"}
    with np.load(tmp_path / "clusterer.npz", allow_pickle=False) as arrays:  # plain arrays only
        assert arrays.files
    fitted = np.array([int(r.split(",")[4]) for r in (tmp_path / "clusters.csv").read_text().splitlines()[1:]])
    assigned = assign_vectors(clusterer, load_embeddings(blob_set).embeddings)
    np.testing.assert_array_equal(assigned.labels, fitted)
    if method in ("gmm", "scan"):
        np.testing.assert_allclose(assigned.probs.sum(axis=1), 1.0, atol=1e-5)
        np.testing.assert_array_equal(assigned.probs.argmax(axis=1), fitted)


@pytest.mark.parametrize("normalize, reduce, whiten", [("l2", "none", False), ("none", "pca:0.9", False),
                                                       ("l2", "pca:5", True), ("l2", "kpca:4", False)])
def test_preparation_replays_on_new_vectors(normalize, reduce, whiten):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(80, 10)).astype(np.float32) + 3
    prepared, info, state = fit_preparation(x, normalize, reduce, seed=0, whiten=whiten)
    np.testing.assert_allclose(apply_preparation(x, state), prepared, atol=2e-4)
    if whiten:
        np.testing.assert_allclose(prepared.std(axis=0, ddof=1), 1.0, rtol=1e-3)
    new = rng.normal(size=(7, 10)).astype(np.float32) + 3
    assert apply_preparation(new, state).shape == (7, info["dims"])


def test_whiten_without_pca_and_missing_clusterer_are_one_line_errors(tmp_path):
    with pytest.raises(ArtzooError, match="--whiten needs --reduce pca"):
        fit_preparation(np.ones((5, 3), np.float32), reduce="none", whiten=True)
    with pytest.raises(ArtzooError, match="holds no clusterer.json"):
        load_clusterer(tmp_path)


@pytest.fixture(scope="module")
def paintings(tmp_path_factory):
    """6 real paintings per genre: 5 embedded and clustered (cnn3, random weights seeded, 32 px), 1 held out."""
    if not LOUVRE.exists():
        pytest.skip(f"{LOUVRE} not present")
    root = tmp_path_factory.mktemp("assign")
    for name in CLASSES:
        files = sorted((LOUVRE / "train" / name).iterdir())[:6]
        (root / "data" / name).mkdir(parents=True)
        (root / "held_out" / name).mkdir(parents=True)
        for f in files[:5]:
            shutil.copy(f, root / "data" / name / f.name)
        shutil.copy(files[5], root / "held_out" / name / files[5].name)
    result = run_cli("embed", "--backbone", "cnn3", "--weights", "none", "--image-size", "32", "--seed", "3",
                     "--data-dir", str(root / "data"), "--out", str(root / "index.npz"))
    assert result.returncode == 0, result.stderr[-3000:]
    return root


# three CLI processes, ~35 s on 2 cores; artzoo.assign_clusters on images runs by default in test_api
@pytest.mark.large
def test_cluster_assign_cli_finds_the_fitted_paintings_clusters(paintings, tmp_path):
    result = run_cli("cluster", str(paintings / "index.npz"), "--method", "gmm", "--k", "4", "--out",
                     str(tmp_path / "c"))
    assert result.returncode == 0, result.stderr[-3000:]
    fitted = {r.split(",")[0]: int(r.split(",")[4]) for r in (tmp_path / "c" / "clusters.csv").read_text()
              .splitlines()[1:]}
    one = paintings / "data" / "Portrait" / sorted((paintings / "data" / "Portrait").iterdir())[0].name
    result = run_cli("cluster", "assign", str(tmp_path / "c"), str(one), str(paintings / "data"),
                     str(paintings / "held_out"), "--json", "--out", str(tmp_path / "a.csv"))
    assert result.returncode == 0, result.stderr[-3000:]
    rows = json.loads(result.stdout)["assignments"]
    assert len(rows) == 1 + 20 + 4 and (tmp_path / "a.csv").read_text().count("\n") == 1 + 25
    assert rows[0]["cluster"] == fitted[f"Portrait/{one.name}"]
    again = {r["id"]: r["cluster"] for r in rows[1:21]}
    assert again == fitted  # the same images, re-embedded, land in their own clusters
    for r in rows:
        assert 0 <= r["cluster"] < 4 and r["probability"] == pytest.approx(max(r["top"].values()))


def test_cluster_assign_cli_errors_are_one_line(tmp_path):
    result = run_cli("cluster", "assign", str(tmp_path), str(tmp_path))
    assert result.returncode == 2 and "holds no clusterer.json" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
