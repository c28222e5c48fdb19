"""Phase 1 on cached embeddings: when it applies, and that it trains the same heads as the slow path."""

import csv
import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from artzoo.config import AugmentConfig, HeadConfig, RunConfig, load_task_config
from artzoo.train.cached_heads import fast_path_reason

NO_AUGMENT = AugmentConfig(flip=False, rotation=0, zoom=0, contrast=0)


def _cfg(**changes) -> RunConfig:
    cfg = RunConfig()
    cfg = replace(cfg, data=replace(cfg.data, augment=NO_AUGMENT), model=replace(cfg.model, heads=(HeadConfig(),)))
    for section, fields in changes.items():
        cfg = replace(cfg, **{section: replace(getattr(cfg, section), **fields)})
    return cfg


def test_fast_path_applies_to_a_frozen_phase_without_augmentation():
    assert fast_path_reason(_cfg()) == ""


@pytest.mark.parametrize("changes, words", [
    ({"train": {"cached_heads": "off"}}, "turned off"),
    ({"train": {"epochs": 0}}, "no frozen phase"),
    ({"model": {"weights": "none"}}, "weights none"),
    ({"model": {"se": True}}, "se / attention"),
    ({"model": {"attention": True}}, "se / attention"),
    ({"model": {"pooling": "attention"}}, "attention pooling"),
    ({"data": {"augment": AugmentConfig()}}, "augmentation"),  # the default augmentation (flip, rotation, ...)
    ({"data": {"augment": replace(NO_AUGMENT, mix="mixup")}}, "augmentation"),
    ({"model": {"heads": (HeadConfig(rare_augment=True),)}}, "rare-class augmentation"),
    ({"data": {"balance": "resample"}}, "data.balance resample"),
])
def test_fast_path_refused_when_the_backbone_input_or_trainable_part_changes(changes, words):
    assert words in fast_path_reason(_cfg(**changes))


def test_fast_path_refused_for_sharded_strategies():
    assert "multiworker" in fast_path_reason(_cfg(), num_workers=2, strategy_kind="multiworker")
    assert "tpu" in fast_path_reason(_cfg(), strategy_kind="tpu")


def _train(data_dir: Path, run_dir: Path, cached: str, fine_tune_epochs: int):
    from artzoo.train.runner import train

    cfg = load_task_config("genre", {
        "data.data_dir": str(data_dir), "data.image_size": 96, "data.batch_size": 8, "train.epochs": 3,
        "train.fine_tune_epochs": fine_tune_epochs, "train.fine_tune_blocks": 2, "train.learning_rate": 5e-3,
        "data.augment.flip": False, "data.augment.rotation": 0, "data.augment.zoom": 0, "data.augment.contrast": 0,
        "export.enabled": False, "train.cached_heads": cached, "run_dir": str(run_dir),
    })
    run = train(cfg, verbose=0)
    with open(run.root / "history.csv") as f:
        rows = list(csv.DictReader(f))
    return run, rows


@pytest.fixture(scope="module")
def fast_and_slow(louvre_small, tmp_path_factory):
    root = tmp_path_factory.mktemp("cached_heads")
    fast = _train(louvre_small, root / "fast", "auto", fine_tune_epochs=1)
    slow = _train(louvre_small, root / "slow", "off", fine_tune_epochs=0)
    return fast, slow


@pytest.fixture(scope="module")
def fast_frozen_only(louvre_small, tmp_path_factory):
    """The fast path with phase 1 alone, so its model.keras is a phase-1 epoch like the slow run's."""
    return _train(louvre_small, tmp_path_factory.mktemp("cached_heads_frozen") / "fast", "auto", fine_tune_epochs=0)


def test_runs_record_which_path_phase_one_took(fast_and_slow):
    (fast, _), (slow, _) = fast_and_slow
    assert json.loads((fast.root / "run.json").read_text())["frozen_phase_inputs"].startswith("cached embeddings")
    assert json.loads((slow.root / "run.json").read_text())["frozen_phase_inputs"].startswith("images")


def test_cached_phase_one_matches_the_slow_path(fast_and_slow):
    """Same seed, same shuffle order, same dropout: the losses per epoch agree to float tolerance."""
    (_, fast_rows), (_, slow_rows) = fast_and_slow
    fast_phase1 = [r for r in fast_rows if float(r["phase"]) == 1]
    assert len(fast_phase1) == len(slow_rows) == 3
    for key in ("loss", "val_loss", "val_accuracy"):
        np.testing.assert_allclose([float(r[key]) for r in fast_phase1], [float(r[key]) for r in slow_rows],
                                   rtol=2e-2, atol=1e-3, err_msg=key)


def test_saved_full_model_carries_the_heads_trained_on_embeddings(fast_and_slow):
    """model.keras is the whole classifier: scored on images it gives the val accuracy that the epoch it was
    saved at measured (on cached vectors when that epoch is a phase-1 one); fine-tuning continued from it."""
    (fast, fast_rows), _ = fast_and_slow
    best = min(fast_rows, key=lambda r: float(r["val_loss"]))
    metrics = json.loads((fast.root / "metrics.json").read_text())["val"]["genre"]
    assert metrics["accuracy"] == pytest.approx(float(best["val_accuracy"]), abs=1.5 / 24)
    assert sum(float(r["phase"]) == 2 for r in fast_rows) == 1  # fine-tuning continued from the cached phase


def test_heads_trained_on_embeddings_have_the_slow_paths_weights(fast_frozen_only, fast_and_slow):
    import keras

    (fast, fast_rows), (_, (slow, slow_rows)) = fast_frozen_only, fast_and_slow
    fast_best = min(range(len(fast_rows)), key=lambda i: float(fast_rows[i]["val_loss"]))
    slow_best = min(range(len(slow_rows)), key=lambda i: float(slow_rows[i]["val_loss"]))
    assert fast_best == slow_best  # both saved the same epoch, so their heads must agree
    fast_head = keras.models.load_model(fast.root / "model.keras", compile=False).get_layer("genre")
    slow_head = keras.models.load_model(slow.root / "model.keras", compile=False).get_layer("genre")
    assert len(fast_head.get_weights()) == len(slow_head.get_weights()) > 0
    for a, b in zip(fast_head.get_weights(), slow_head.get_weights()):
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, atol=2e-3)
