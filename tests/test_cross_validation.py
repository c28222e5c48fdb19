"""`artzoo train --cv K`: stratified folds of train + val, every image held out exactly once, per-fold runs
that resume, and cv.json with mean ± sd with and without test-time augmentation."""

import json

import numpy as np
import pytest

from artzoo.data.cv_folds import fold_assignment
from artzoo.errors import ArtzooError
from conftest import run_cli


def test_folds_are_stratified_and_cover_every_item_once():
    labels = np.array([0] * 12 + [1] * 9 + [2] * 6)
    folds = fold_assignment(labels, 3, seed=1)
    assert sorted(np.bincount(folds).tolist()) == [9, 9, 9]
    for fold in range(3):
        assert np.bincount(labels[folds == fold]).tolist() == [4, 3, 2]
    assert (fold_assignment(labels, 3, seed=1) == folds).all()
    assert not (fold_assignment(labels, 3, seed=2) == folds).all()
    with pytest.raises(ArtzooError, match=r"--cv 7: needs k >= 2 and at least k images in every class \(smallest "
                                          r"class has 6\)"):
        fold_assignment(labels, 7, seed=1)


def test_cv_trains_each_fold_and_summarises(louvre_small, tmp_path):
    """22 Louvre paintings per class pooled (88), 3 folds, a tiny random CNN at 32 px: the numbers are not the
    point, the bookkeeping is."""
    args = ("train", "--task", "genre", "--data-dir", str(louvre_small), "--backbone", "cnn3", "--weights", "none",
            "--image-size", "32", "--batch-size", "16", "--epochs", "1", "--fine-tune-epochs", "0", "--quiet",
            "--run-dir", str(tmp_path / "cv"), "--cv", "3", "--cv-tta", "flip", "crops")
    result = run_cli(*args)
    assert result.returncode == 0, result.stderr[-3000:]
    cv = json.loads((tmp_path / "cv" / "cv.json").read_text())
    assert [f["fold"] for f in cv["folds"]] == [1, 2, 3]
    held = [json.loads((tmp_path / "cv" / f"fold{i}" / "data.json").read_text())["counts"]["val"]["genre"]
            for i in (1, 2, 3)]
    assert np.sum(held, axis=0).tolist() == [22, 22, 22, 22]  # every image held out exactly once
    for fold in cv["folds"]:
        n = sum(held[fold["fold"] - 1])
        for mode in ("none", "flip", "crops"):
            assert np.sum(fold["held_out"][mode]["genre"]["confusion"]) == n
    summary = cv["summary"]["none"]["genre"]["accuracy"]
    assert summary["mean"] == pytest.approx(np.mean(summary["folds"]), abs=1e-4)
    assert summary["sd"] == pytest.approx(np.std(summary["folds"], ddof=1), abs=1e-4)
    assert "3-fold genre (tta flip): accuracy" in result.stdout
    again = run_cli(*args[:-3], "--cv-tta")  # every fold finished: nothing retrained, the same scores
    assert again.returncode == 0, again.stderr[-3000:]
    assert "holds a finished run; nothing to do" in again.stdout + again.stderr
    assert json.loads((tmp_path / "cv" / "cv.json").read_text())["summary"] == {"none": cv["summary"]["none"]}
