"""Clustering scores against labels, checked by hand on small examples."""

import numpy as np
import pytest

from artzoo.clustering.scores import (clustering_accuracy, external_scores, hungarian_mapping, internal_scores,
                                      purity, within_cluster_ss)


def test_hungarian_accuracy_hand_checked():
    y_true = np.array([0, 0, 0, 1, 1, 1, 2, 2, 2])
    y_pred = np.array([1, 1, 0, 2, 2, 2, 0, 0, 1])
    # Cluster x class counts: c0 = {0: 1, 2: 2}, c1 = {0: 2, 2: 1}, c2 = {1: 3}.
    # Best one-to-one matching: c1 -> 0 (2), c2 -> 1 (3), c0 -> 2 (2) = 7 of 9 (the identity mapping
    # would score 1 of 9, and c0 -> 0, c1 -> 2, c2 -> 1 only 5 of 9).
    assert hungarian_mapping(y_true, y_pred) == {0: 2, 1: 0, 2: 1}
    assert clustering_accuracy(y_true, y_pred) == pytest.approx(7 / 9)


def test_extra_clusters_match_nothing_but_stay_pure():
    y_true = np.array([0, 0, 0, 0, 1, 1])
    y_pred = np.array([0, 0, 1, 1, 2, 2])
    assert clustering_accuracy(y_true, y_pred) == pytest.approx(4 / 6)  # cluster 0 or 1 is left unmatched
    assert purity(y_true, y_pred) == pytest.approx(1.0)


def test_noise_counts_as_wrong():
    y_true = np.array([0, 0, 1, 1])
    y_pred = np.array([5, -1, 7, 7])
    assert hungarian_mapping(y_true, y_pred) == {5: 0, 7: 1}
    assert clustering_accuracy(y_true, y_pred) == pytest.approx(3 / 4)
    assert purity(y_true, y_pred) == pytest.approx(3 / 4)


def test_permuted_perfect_clustering_scores_one_and_unknown_labels_are_left_out():
    y_true = np.array([0, 0, 1, 1, 2, 2, -1])
    y_pred = np.array([2, 2, 0, 0, 1, 1, 0])
    scores = external_scores(y_true, y_pred, ["a", "b", "c"])
    assert scores["n_labelled"] == 6
    for key in ("accuracy", "nmi", "ari", "purity"):
        assert scores[key] == pytest.approx(1.0), key
    assert scores["matched_class"] == {"0": "b", "1": "c", "2": "a"}
    assert scores["class_counts"] == {"0": [0, 2, 0], "1": [0, 0, 2], "2": [2, 0, 0]}


def test_internal_scores_and_wcss():
    x = np.array([[0, 0], [0, 2], [10, 0], [10, 2]], dtype=np.float32)
    labels = np.array([0, 0, 1, 1])
    assert within_cluster_ss(x, labels) == pytest.approx(4.0)  # each point is 1 from its cluster mean
    scores = internal_scores(x, labels)
    assert scores["silhouette"] > 0.8
    assert internal_scores(x, np.zeros(4, dtype=int))["silhouette"] is None  # one cluster: undefined
