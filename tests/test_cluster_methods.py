"""Clustering methods on synthetic blobs (scikit-learn make_blobs): determinism, soft clusters, k auto, DBSCAN
eps, feature reduction and the one-line errors."""

import numpy as np
import pytest
from sklearn.datasets import make_blobs
from sklearn.metrics import adjusted_rand_score
from threadpoolctl import threadpool_limits

from artzoo.clustering.choose_k import choose_k
from artzoo.clustering.methods import MethodSettings, fit_clusters, knee_index
from artzoo.clustering.reduce import parse_reduce, prepare_features
from artzoo.clustering.run import ClusterSettings, cluster_features
from artzoo.errors import ArtzooError

TRUE_K = 5


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    # Problems this small gain nothing from OpenMP threads, and on a loaded 2-core machine their spin-waits
    # make scikit-learn 10-40x slower.
    with threadpool_limits(limits=1):
        yield


@pytest.fixture(scope="module")
def blobs():
    x, y = make_blobs(n_samples=600, centers=TRUE_K, n_features=16, cluster_std=0.8, center_box=(-10, 10),
                      random_state=3)
    return x.astype(np.float32), y


@pytest.fixture(scope="module")
def overlapping():
    # Overlapping blobs: restarts and seeds matter here, so equal results mean the seed was honoured.
    x, _ = make_blobs(n_samples=500, centers=8, n_features=8, cluster_std=3.0, random_state=0)
    return x.astype(np.float32)


@pytest.mark.parametrize("method", ["kmeans++", "minibatch", "gmm"])
def test_same_seed_gives_same_clusters(overlapping, method):
    settings = MethodSettings(n_init=2)
    first = fit_clusters(overlapping, method, 6, seed=7, settings=settings)
    again = fit_clusters(overlapping, method, 6, seed=7, settings=settings)
    np.testing.assert_array_equal(first.labels, again.labels)
    others = [fit_clusters(overlapping, method, 6, seed=s, settings=MethodSettings(n_init=1)).labels
              for s in range(4)]
    # ... and the seed does reach the algorithm: some seed gives a different partition.
    assert any(adjusted_rand_score(others[0], o) < 0.999 for o in others[1:])


def test_gmm_responsibilities_are_soft_clusters_summing_to_one(blobs, overlapping):
    for x in (blobs[0], overlapping):
        result = fit_clusters(x, "gmm", 6, seed=0)
        resp = result.responsibilities
        assert resp.shape == (len(x), 6)
        assert (resp >= 0).all()
        np.testing.assert_allclose(resp.sum(axis=1), 1.0, atol=1e-6)
        np.testing.assert_array_equal(result.labels, resp.argmax(axis=1))
    assert (resp.max(axis=1) < 0.9).any()  # overlapping blobs: some items draw on several clusters


@pytest.mark.parametrize("method", ["kmeans++", "gmm", "agglomerative"])
def test_k_auto_picks_the_true_k_on_separated_blobs(blobs, method):
    x, y = blobs
    choice = choose_k(x, method, range(2, 11), seed=0, settings=MethodSettings(n_init=3))
    assert choice.k == TRUE_K, choice.reason
    assert [row["k"] for row in choice.table] == list(range(2, 11))
    assert set(choice.votes) == {"elbow", "silhouette", "davies_bouldin", "calinski_harabasz"}
    assert f"k={TRUE_K}" in choice.reason


def test_cluster_features_with_k_auto_recovers_the_blobs(blobs):
    x, y = blobs
    _, _, choice, result = cluster_features(x, ClusterSettings(method="kmeans++", k="auto", k_max=9))
    assert choice.k == TRUE_K and result.n_clusters == TRUE_K
    assert adjusted_rand_score(y, result.labels) > 0.99


def test_dbscan_eps_from_the_k_distance_knee_finds_the_blobs(blobs):
    x, y = blobs
    result = fit_clusters(x, "dbscan", None, settings=MethodSettings(min_samples=5))
    assert result.info["eps"] == result.info["eps_suggested"] > 0
    assert result.n_clusters == TRUE_K
    assert result.info["noise"] < 0.1 * len(x)
    assert adjusted_rand_score(y[result.labels >= 0], result.labels[result.labels >= 0]) > 0.99


def test_knee_of_a_hand_made_curve():
    # Scaled to 0..1 the chord is x + y = 1; distance from it ~ 1 - x - y: 0.39, 0.565, 0.529, ... at i = 1, 2, 3.
    assert knee_index(np.array([100, 50, 20, 10, 9, 8, 7, 6])) == 2
    assert knee_index(np.array([1, 1.1, 1.2, 1.3, 1.4, 5, 9])) == 4


def test_pca_keeps_95_percent_of_the_variance_and_kpca_its_components(blobs):
    x, _ = blobs
    reduced, info = prepare_features(x, reduce="pca:0.95")
    assert info["explained_variance"] >= 0.95 and reduced.shape[1] < x.shape[1] and reduced.dtype == np.float32
    reduced, info = prepare_features(x, normalize="l2", reduce="kpca:3")
    assert reduced.shape == (len(x), 3) and info["normalize"] == "l2"


@pytest.mark.parametrize("spec", ["pca", "pca:1.5", "pca:0", "kpca:0.5", "tsne:2", "pca:x"])
def test_bad_reduce_spec_is_one_line_error_naming_it(spec):
    with pytest.raises(ArtzooError, match="--reduce") as err:
        parse_reduce(spec)
    assert repr(spec) in str(err.value) and "\n" not in str(err.value)


def test_bad_method_and_k_are_one_line_errors(blobs):
    x, _ = blobs
    with pytest.raises(ArtzooError, match="kmeans\\+\\+, minibatch, gmm, dbscan, agglomerative"):
        fit_clusters(x, "spectral", 3)
    with pytest.raises(ArtzooError, match="--k 1000 is not valid"):
        fit_clusters(x[:50], "kmeans++", 1000)
    with pytest.raises(ArtzooError, match="does not apply to dbscan"):
        ClusterSettings(method="dbscan", k=3)
    with pytest.raises(ArtzooError, match="needs --k"):
        ClusterSettings(method="gmm")


def test_k_auto_reason_names_ties_and_missing_majorities():
    from artzoo.clustering.choose_k import _winner

    table = [{"k": k, "silhouette": s, "davies_bouldin": d, "calinski_harabasz": c}
             for k, s, d, c in ((2, 0.1, 2.0, 90), (3, 0.3, 1.0, 80), (4, 0.2, 1.5, 70))]
    # 2 votes each for k=2 and k=3: k=3 has the better mean rank (silhouette 1st, DB 1st, CH 2nd).
    assert _winner({"elbow": 2, "silhouette": 3, "davies_bouldin": 3, "calinski_harabasz": 2}, table) == (3, [2, 3])
    assert _winner({"elbow": 4, "silhouette": 3, "davies_bouldin": 2, "calinski_harabasz": 2}, table) == (2, [2])
