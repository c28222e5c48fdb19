"""The command line over real paintings: `embed` (twice: cached), `cluster` reports, `similar` finds the query
itself first; bad values give one-line errors with exit status 2."""

import csv
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from artzoo.clustering.methods import MethodSettings
from cluster_harness import cluster_file
from artzoo.clustering.run import ClusterSettings
from conftest import LOUVRE, run_cli

CLASSES = ["Genre", "Landscape", "Naturmort", "Portrait"]


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    """6 real paintings per genre embedded through the CLI (cnn3, random weights seeded, 32 px)."""
    if not LOUVRE.exists():
        pytest.skip(f"{LOUVRE} not present")
    root = tmp_path_factory.mktemp("cli")
    for name in CLASSES:
        (root / "data" / name).mkdir(parents=True)
        for f in sorted((LOUVRE / "train" / name).iterdir())[:6]:
            shutil.copy(f, root / "data" / name / f.name)
    args = ("embed", "--backbone", "cnn3", "--weights", "none", "--image-size", "32", "--seed", "3",
            "--data-dir", str(root / "data"), "--out", str(root / "index.npz"))
    first = run_cli(*args)
    assert first.returncode == 0, first.stderr[-3000:]
    again = run_cli(*args)
    assert again.returncode == 0, again.stderr[-3000:]
    return root, first.stdout, again.stdout


def test_embed_cli_writes_then_reuses(index):
    root, first, again = index
    assert "computed: 24 x 128 (cnn3, 32 px, unit preprocessing)" in first
    assert "reused: 24 x 128" in again and "reusing" in again


def test_cluster_cli_writes_csv_metrics_and_plots(index, tmp_path):
    root, _, _ = index
    out = tmp_path / "gmm"
    result = run_cli("cluster", str(root / "index.npz"), "--method", "gmm", "--k", "4", "--seed", "1",
                     "--out", str(out))
    assert result.returncode == 0, result.stderr[-3000:]
    assert "gmm: 4 clusters over 24 items" in result.stdout and "accuracy" in result.stdout
    rows = list(csv.DictReader((out / "clusters.csv").open()))
    assert len(rows) == 24
    assert {r["label"] for r in rows} == set(CLASSES)
    for r in rows:  # the top influences are the largest responsibilities, the first is the cluster
        influences = [(int(c), float(p)) for c, p in (x.split(":") for x in r["influences"].split())]
        assert influences[0][0] == int(r["cluster"]) and float(r["confidence"]) == pytest.approx(influences[0][1],
                                                                                                abs=1e-3)
        assert sum(p for _, p in influences) <= 1.0 + 1e-3
    metrics = json.loads((out / "metrics.json").read_text())
    external = metrics["scores"]["external"]
    assert 0 <= external["accuracy"] <= 1 and external["n_labelled"] == 24
    assert sum(metrics["cluster_sizes"].values()) == 24
    assert metrics["soft"]["responsibility_row_sum_max_error"] < 1e-6
    for name in ("map_pca", "gallery", "label_distribution", "gmm_influences"):
        assert (out / "plots" / f"{name}.png").stat().st_size > 5000, name


def test_k_auto_and_dbscan_reports(index, tmp_path):
    root, _, _ = index
    auto = cluster_file(root / "index.npz", ClusterSettings(method="kmeans++", k="auto", k_min=2, k_max=6,
                                                            method_settings=MethodSettings(n_init=2)), tmp_path / "a")
    assert auto["k"] == auto["k_choice"]["k"] and 2 <= auto["k"] <= 6
    assert len(auto["k_choice"]["table"]) == 5 and "criteria" in auto["k_choice"]["reason"]
    assert (tmp_path / "a" / "plots" / "scores_by_k.png").is_file()
    dbscan = cluster_file(root / "index.npz", ClusterSettings(method="dbscan", normalize="l2"), tmp_path / "d")
    assert dbscan["method_info"]["eps"] == dbscan["method_info"]["eps_suggested"]
    assert (tmp_path / "d" / "plots" / "k_distance.png").is_file()


def test_similar_returns_the_image_itself_first(index, tmp_path):
    root, _, _ = index
    query = sorted((root / "data" / "Portrait").iterdir())[2]
    gallery = tmp_path / "similar.png"
    result = run_cli("similar", str(query), "--index", str(root / "index.npz"), "--k", "5", "--out", str(gallery),
                     "--json")
    assert result.returncode == 0, result.stderr[-3000:]
    hits = json.loads(result.stdout)["hits"]
    assert len(hits) == 5 and [h["rank"] for h in hits] == [1, 2, 3, 4, 5]
    assert Path(hits[0]["path"]) == query.resolve() and hits[0]["score"] == pytest.approx(1.0, abs=1e-4)
    assert hits[0]["label"] == "Portrait"
    scores = [h["score"] for h in hits]
    assert scores == sorted(scores, reverse=True) and scores[1] < scores[0]
    assert gallery.stat().st_size > 5000


def test_cosine_top_k_orders_by_similarity():
    from artzoo.similar_works import cosine_top_k

    vectors = np.array([[1, 0], [0, 1], [1, 1], [-1, 0], [2, 0.1]], dtype=np.float32)
    top, scores = cosine_top_k(np.array([1, 0], dtype=np.float32), vectors, 3)
    assert top.tolist() == [0, 4, 2]
    np.testing.assert_allclose(scores, [1.0, 2 / np.sqrt(4.01), 1 / np.sqrt(2)], rtol=1e-6)


@pytest.mark.parametrize("args, message", [
    (("--method", "spectral", "--k", "3"), "unknown clustering method 'spectral'; expected one of: kmeans++"),
    (("--k", "three"), "--k 'three' must be an integer >= 2 or auto"),
])  # --reduce and dbscan/--k errors are checked in-process in test_cluster_methods.py
def test_cluster_cli_bad_values_are_one_line_errors(index, tmp_path, args, message):
    root, _, _ = index
    result = run_cli("cluster", str(root / "index.npz"), *args, "--out", str(tmp_path / "x"))
    assert result.returncode == 2
    assert result.stderr.strip().startswith(f"artzoo: error: {message}")
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
