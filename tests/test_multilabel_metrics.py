"""Multi-label metrics and F2 threshold tuning against numbers worked out by hand."""

import numpy as np
import pytest
from sklearn import metrics as skm

from artzoo.metrics import multilabel_metrics
from artzoo.reporting.thresholds import label_threshold, threshold_report, tune_thresholds

CLASSES = ["a", "b", "c"]
# 4 items, 3 labels, plus a 5th item whose labels are missing (-1): it must be left out everywhere.
Y = np.array([[1, 0, 1], [0, 1, 0], [1, 1, 0], [0, 0, 1], [-1, -1, -1]])
P = np.array([[0.9, 0.2, 0.4], [0.6, 0.7, 0.1], [0.8, 0.3, 0.2], [0.1, 0.4, 0.6], [0.9, 0.9, 0.9]])


def test_scores_at_half_match_hand_computed_values():
    # Decisions at 0.5: [[1,0,0],[1,1,0],[1,0,0],[0,0,1]].
    # Per label (TP, FP, FN): a (2,1,0), b (1,0,1), c (1,0,1).  F1 = 2TP/(2TP+FP+FN), F2 = 5TP/(5TP+4FN+FP).
    m = multilabel_metrics(Y, P, CLASSES)
    assert m["n"] == 4
    assert m["f1_macro"] == pytest.approx((4 / 5 + 2 / 3 + 2 / 3) / 3)
    assert m["f2_macro"] == pytest.approx((10 / 11 + 5 / 9 + 5 / 9) / 3)
    # Micro: TP 4, FP 1, FN 2.
    assert m["f1_micro"] == pytest.approx(8 / 11)
    assert m["f2_micro"] == pytest.approx(20 / 29)
    # Per item (F1, F2): (2/3, 5/9), (2/3, 5/6), (2/3, 5/9), (1, 1).
    assert m["f1_samples"] == pytest.approx(3 / 4)
    assert m["f2_samples"] == pytest.approx(53 / 72)
    # AP per label: a 1 (both positives ranked first), b 1/2*1 + 1/2*2/3 = 5/6, c 1.
    assert m["mAP"] == pytest.approx(17 / 18)
    assert m["per_class"]["a"] == pytest.approx({"precision": 2 / 3, "recall": 1.0, "f1": 0.8, "support": 2})
    assert "at_0.5" not in m


def test_scores_agree_with_scikit_learn_directly():
    y, p = Y[:4], P[:4]
    m = multilabel_metrics(Y, P, CLASSES)
    pred = (p >= 0.5).astype(int)
    for average in ("micro", "macro", "samples"):
        assert m[f"f2_{average}"] == pytest.approx(skm.fbeta_score(y, pred, beta=2, average=average))
        assert m[f"f1_{average}"] == pytest.approx(skm.f1_score(y, pred, average=average))
    assert m["mAP"] == pytest.approx(skm.average_precision_score(y, p, average="macro"))


def test_tuning_finds_the_hand_computed_thresholds():
    # Label a: at 0.8 both positives in, no false positive (F2 1; at 0.5 it was 10/11).
    # Label b: at 0.3 both positives in, one false positive (0.4): F2 10/11; at 0.5 it was 5/9.
    # Label c: at 0.4 both positives in, no false positive: F2 1.
    assert tune_thresholds(Y, P) == pytest.approx([0.8, 0.3, 0.4])
    report = threshold_report(Y, P, CLASSES)
    assert report["val_f2_macro_at_0.5"] == pytest.approx((10 / 11 + 5 / 9 + 5 / 9) / 3)
    assert report["val_f2_macro_tuned"] == pytest.approx((1 + 10 / 11 + 1) / 3)
    # Tuned micro: TP 6, FP 1, FN 0 -> 30 / 31.
    assert report["val_f2_micro_tuned"] == pytest.approx(30 / 31)
    assert report["improved"] and "raise val F2" in report["verdict"]
    tuned = multilabel_metrics(Y, P, CLASSES, thresholds=np.array([0.8, 0.3, 0.4]))
    assert tuned["f2_micro"] == pytest.approx(30 / 31)
    assert tuned["at_0.5"]["f2_micro"] == pytest.approx(20 / 29)


def test_separable_scores_get_the_lowest_positive_score_as_threshold():
    rng = np.random.default_rng(0)
    positives = rng.uniform(0.3, 1.0, 40)
    negatives = rng.uniform(0.0, 0.29, 160)
    y = np.r_[np.ones(40), np.zeros(160)]
    scores = np.r_[positives, negatives]
    assert label_threshold(y, scores) == pytest.approx(positives.min())


def test_tuning_says_so_when_it_cannot_beat_half():
    # Already perfect at 0.5: nothing to gain, thresholds stay 0.5 and the report says it did not raise F2.
    y = np.array([[1, 0], [0, 1], [1, 1], [0, 0]])
    p = np.array([[0.9, 0.1], [0.2, 0.8], [0.7, 0.6], [0.1, 0.3]])
    report = threshold_report(y, p, ["x", "y"])
    assert list(report["thresholds"].values()) == [0.5, 0.5]
    assert not report["improved"] and "did not raise" in report["verdict"]
    # A label without any positive on val keeps 0.5.
    assert label_threshold(np.zeros(5), np.linspace(0, 1, 5)) == 0.5
