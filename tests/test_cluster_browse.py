"""Browsable clusters over real paintings: clusters.html is self-contained (thumbnails and figures inlined)
with every cluster's size, majority genre and purity, typical and uncertain members; the TensorBoard projector
export holds the vectors, one metadata row per painting and a sprite of them all."""

import re

import numpy as np
import pytest
from PIL import Image

from artzoo.clustering.html import uncertainty
from artzoo.clustering.methods import MethodSettings
from cluster_harness import cluster_file
from artzoo.clustering.run import ClusterSettings, cluster_embeddings
from artzoo.embeddings.embed import DataSource, embed
from artzoo.embeddings.extractor import EmbedderSettings
from artzoo.embeddings.store import load_embeddings
from conftest import LOUVRE, copy_subset


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    if not LOUVRE.exists():
        pytest.skip(f"{LOUVRE} not present")
    root = tmp_path_factory.mktemp("browse")
    data = copy_subset(LOUVRE, root / "data", {"train": 5})  # 5 real paintings per genre
    settings = EmbedderSettings(backbone="cnn3", weights="none", image_size=32, seed=2)
    return embed(DataSource(data_dir=str(data)), settings, root / "index.npz").path


def test_clusters_html_is_self_contained_and_complete(index, tmp_path):
    metrics = cluster_file(index, ClusterSettings(method="gmm", k=3, seed=0), tmp_path, gallery_size=4)
    page = (tmp_path / "clusters.html").read_text()
    assert metrics["html"] == str(tmp_path / "clusters.html")
    assert not re.search(r'(src|href)="(?!data:|#)', page)  # nothing outside the page
    sizes = metrics["cluster_sizes"]
    for c, n in sizes.items():
        assert f"cluster {c}: {n} items" in page
    counts = metrics["scores"]["external"]["class_counts"]
    for c, v in counts.items():
        name = metrics["scores"]["external"]["class_names"][int(np.argmax(v))]
        assert f"cluster {c}: {sizes[c]} items, {name} {max(v) / sum(v):.0%}" in page
    # typical (at most 12) and uncertain (at most 6) thumbnails per cluster, all inlined
    expected = sum(min(12, n) + min(6, n) for n in sizes.values())
    assert page.count("data:image/jpeg;base64,") == expected
    assert page.count("data:image/png;base64,") == 2  # the 2-D map and the label distribution


def test_uncertainty_ranks_soft_and_hard_clusters(index):
    emb = load_embeddings(index)
    gmm = cluster_embeddings(emb, ClusterSettings(method="gmm", k=3, seed=0)).result
    np.testing.assert_allclose(uncertainty(np.zeros((len(emb), 1)), gmm), 1 - gmm.responsibilities.max(1))
    outcome = cluster_embeddings(emb, ClusterSettings(method="kmeans++", k=3, seed=0,
                                                      method_settings=MethodSettings(n_init=2)))
    ratio = uncertainty(outcome.features, outcome.result)
    assert ((ratio >= 0) & (ratio <= 1)).all()  # nearest / second-nearest centre distance
    d = np.linalg.norm(outcome.features[:, None] - outcome.result.centers[None], axis=-1)
    i = int(np.argmax(ratio))
    assert ratio[i] == pytest.approx(np.sort(d[i])[0] / np.sort(d[i])[1], rel=1e-5)


def test_projector_export_has_vectors_metadata_and_sprite(index, tmp_path):
    metrics = cluster_file(index, ClusterSettings(method="kmeans++", k=4, seed=0,
                                                  method_settings=MethodSettings(n_init=2)), tmp_path, projector=True)
    emb = load_embeddings(index)
    folder = tmp_path / "projector"
    vectors = np.loadtxt(folder / "vectors.tsv", delimiter="\t")
    np.testing.assert_allclose(vectors, emb.embeddings, rtol=1e-5, atol=1e-6)
    meta = [line.split("\t") for line in (folder / "metadata.tsv").read_text().splitlines()]
    assert meta[0] == ["id", "label", "cluster", "cluster_name", "confidence"] and len(meta) == len(emb) + 1
    assert [m[0] for m in meta[1:]] == emb.ids and {m[1] for m in meta[1:]} == set(emb.class_names)
    fitted = [line.split(",")[4] for line in (tmp_path / "clusters.csv").read_text().splitlines()[1:]]
    assert [m[2] for m in meta[1:]] == fitted
    config = (folder / "projector_config.pbtxt").read_text()
    side = int(re.search(r"single_image_dim: (\d+)", config).group(1))
    with Image.open(folder / "sprite.png") as sprite:
        assert sprite.size == (5 * side, 5 * side)  # 20 paintings: a 5 x 5 grid
    assert metrics["projector"] == str(folder)
