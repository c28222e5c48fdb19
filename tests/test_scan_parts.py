"""SCAN's parts on hand-made numbers: the losses, neighbour mining and purity, the multi-head model and its
one-head copy, the datasets' sampling (neighbours really are neighbours, views really are picked)."""

import math

import numpy as np
import pytest

from artzoo.clustering.neighbours import mine_neighbours, neighbour_purity
from artzoo.clustering.scan import scan_losses_per_head
from artzoo.clustering.scan_head import build_scan_head, head_settings, predict_probs, single_head
from artzoo.clustering.scan_losses import scan_loss, self_label_loss
from artzoo.clustering.scan_train import scan_dataset, self_label_dataset
from artzoo.errors import ArtzooError


def test_scan_loss_terms_by_hand():
    one_hot = np.eye(3, dtype=np.float32)[[0, 1, 2, 0]][:, None, :]  # batch 4, 1 head, k 3
    total, consistency, entropy = (np.asarray(t) for t in scan_loss(one_hot, one_hot, 2.0))
    assert consistency[0] == pytest.approx(0.0, abs=1e-6)  # confident and in agreement: log 1
    mean = np.array([0.5, 0.25, 0.25])
    assert entropy[0] == pytest.approx(-(mean * np.log(mean)).sum(), rel=1e-5)
    assert total[0] == pytest.approx(-2.0 * entropy[0], rel=1e-5)
    uniform = np.full((4, 1, 3), 1 / 3, np.float32)
    _, consistency, entropy = (np.asarray(t) for t in scan_loss(uniform, uniform, 1.0))
    assert consistency[0] == pytest.approx(math.log(3), rel=1e-5)  # <u, u> = 1/3
    assert entropy[0] == pytest.approx(math.log(3), rel=1e-5)  # the largest possible


def test_scan_loss_is_per_head():
    a = np.stack([np.eye(2)[[0, 1]], np.full((2, 2), 0.5)], axis=1).astype(np.float32)  # (2, 2 heads, 2)
    total, consistency, _ = (np.asarray(t) for t in scan_loss(a, a, 0.0))
    assert consistency == pytest.approx([0.0, math.log(2)], abs=1e-5)
    assert total == pytest.approx(consistency)


def test_self_label_loss_weights_classes_and_skips_unsure_items():
    weak = np.array([[0.995, 0.005], [0.999, 0.001], [0.002, 0.998], [0.6, 0.4]], np.float32)
    strong = np.array([[0.5, 0.5], [0.9, 0.1], [0.2, 0.8], [0.01, 0.99]], np.float32)
    loss, confident = (float(v) for v in self_label_loss(weak, strong, 0.99, 2))
    assert confident == pytest.approx(0.75)  # the 4th item (0.6) is left out
    # class 0: two items, weight 1/2 each; class 1: one item, weight 1. Weighted mean of the cross-entropies:
    expected = (0.5 * -math.log(0.5) + 0.5 * -math.log(0.9) + 1.0 * -math.log(0.8)) / 2.0
    assert loss == pytest.approx(expected, rel=1e-5)
    loss, confident = (float(v) for v in self_label_loss(weak, strong, 0.9999, 2))
    assert loss == 0.0 and confident == 0.0


def test_mined_neighbours_are_the_nearest_by_centred_cosine_and_never_the_item():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 8)).astype(np.float32)
    x[7] = x[3] * 5 + 0.01 * x[0]  # almost the same direction: nearest by cosine though far by Euclid
    nbrs = mine_neighbours(x, 4)
    assert nbrs.shape == (60, 4) and not (nbrs == np.arange(60)[:, None]).any()
    unit = x / np.linalg.norm(x, axis=1, keepdims=True)
    unit -= unit.mean(axis=0)  # the common component removed, then cosine
    unit /= np.linalg.norm(unit, axis=1, keepdims=True)
    sim = unit @ unit.T
    np.fill_diagonal(sim, -np.inf)
    np.testing.assert_array_equal(np.sort(nbrs, axis=1), np.sort(np.argsort(-sim, axis=1)[:, :4], axis=1))
    assert nbrs[3, 0] == 7 and nbrs[7, 0] == 3
    with pytest.raises(ArtzooError, match="--neighbours 60"):
        mine_neighbours(x, 60)


def test_neighbour_purity_counts_same_class_pairs_over_known_labels():
    nbrs = np.array([[1, 2], [0, 2], [0, 1], [0, 1]])
    labels = np.array([0, 0, 1, -1])
    # item 0: (0 yes, 1 no); item 1: (0 yes, 1 no); item 2: (no, no); item 3 unknown: skipped
    assert neighbour_purity(nbrs, labels) == pytest.approx(2 / 6)
    assert neighbour_purity(nbrs, np.full(4, -1)) is None


def test_head_probabilities_and_one_head_copy():
    heads = build_scan_head(6, 4, heads=3, dropout=0.2, noise=0.1)
    assert head_settings(heads) == {"dims": 6, "k": 4, "heads": 3, "hidden": 0, "dropout": 0.2,
                                    "noise": pytest.approx(0.1)}
    x = np.random.default_rng(1).normal(size=(5, 6)).astype(np.float32)
    probs = predict_probs(heads, x)
    assert probs.shape == (5, 3, 4)
    np.testing.assert_allclose(probs.sum(-1), 1.0, atol=1e-5)
    np.testing.assert_array_equal(predict_probs(heads, x), probs)  # inference: no dropout, no noise
    one = single_head(heads, 2)
    np.testing.assert_allclose(predict_probs(one, x)[:, 0], probs[:, 2], atol=1e-6)
    with pytest.raises(ArtzooError, match="head 3 does not exist"):
        single_head(heads, 3)


def test_per_head_losses_rank_a_consistent_head_first():
    labels = np.repeat(np.arange(3), 10)
    nbrs = np.array([[j for j in np.flatnonzero(labels == labels[i]) if j != i][:4] for i in range(30)])
    good = np.eye(3)[labels] * 0.97 + 0.01
    noisy = np.random.default_rng(0).dirichlet(np.ones(3), size=30)
    losses = scan_losses_per_head(np.stack([noisy, good], axis=1).astype(np.float32), nbrs, 5.0)
    assert losses[1] < losses[0]


def test_datasets_pair_items_with_their_neighbours_and_views():
    n, d = 40, 3
    base = np.arange(n, dtype=np.float32)[:, None].repeat(d, 1)
    views = np.stack([base, base + 1000])  # view 1 marked by +1000
    nbrs = np.stack([(np.arange(n) + s) % n for s in (1, 2)], axis=1).astype(np.int32)
    anchors, neighbours = next(iter(scan_dataset(views, nbrs, 16, seed=3)))
    a, b = anchors.numpy()[:, 0] % 1000, neighbours.numpy()[:, 0] % 1000
    assert set(((b - a) % n).astype(int)) <= {1, 2}
    both_views = np.concatenate([anchors.numpy()[:, 0], neighbours.numpy()[:, 0]]) >= 1000
    assert both_views.any() and not both_views.all()
    weak, strong = next(iter(self_label_dataset(views, 16, seed=3)))
    assert (weak.numpy() < 1000).all()
    np.testing.assert_array_equal(weak.numpy(), strong.numpy() % 1000)


def test_neighbours_of_views_average_the_unit_vectors():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(30, 5)).astype(np.float32)
    flipped = rng.normal(size=(30, 5)).astype(np.float32)
    mean_unit = x / np.linalg.norm(x, axis=1, keepdims=True) + flipped / np.linalg.norm(flipped, axis=1,
                                                                                      keepdims=True)
    np.testing.assert_array_equal(mine_neighbours(x, 3, views=np.stack([x, flipped])), mine_neighbours(mean_unit, 3))
