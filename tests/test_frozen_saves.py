"""While layers are frozen, backups and best-model snapshots hold only what a fit changes; the full model.keras
is written once at the phase's end, also after a kill."""

import json

import keras
import numpy as np
import pytest

from artzoo.errors import ArtzooError
from artzoo.train.backup import AtomicBackupAndRestore
from artzoo.train.changing_state import changing_variables, frozen_variables
from artzoo.train.checkpoint import AtomicModelCheckpoint, commit_pending, pending_record, saved_best, state_path


def partly_frozen(seed: int = 0, frozen_seed: int = 7) -> keras.Model:
    """A frozen 'backbone' layer (its weights from `frozen_seed`) under a trainable head (from `seed`)."""
    keras.utils.set_random_seed(frozen_seed)
    backbone = keras.layers.Dense(64, name="backbone")
    backbone.build((None, 16))
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input((16,)), backbone, keras.layers.Dense(3, name="head")])
    backbone.trainable = False
    model.compile(optimizer="adam", loss="mse")
    model.optimizer.build(model.trainable_variables)
    return model


def step(model: keras.Model, delta: float) -> None:
    """What an epoch does: the head and the optimizer state move, the frozen layer does not."""
    for v in changing_variables(model):
        v.assign(keras.ops.convert_to_numpy(v) + delta)


def head_and_optimizer(model):
    return [np.array(keras.ops.convert_to_numpy(v)) for v in changing_variables(model)]


def test_changing_state_excludes_frozen_layers_and_includes_the_optimizer():
    model = partly_frozen()
    assert [v.path for v in frozen_variables(model)] == ["backbone/kernel", "backbone/bias"]
    paths = [v.path for v in changing_variables(model)]
    assert paths[:2] == ["sequential/head/kernel", "sequential/head/bias"] or paths[:2] == ["head/kernel", "head/bias"]
    assert any("iteration" in p for p in paths) and len(paths) > 4  # Adam's slots and step count


def test_backup_holds_only_the_changing_state_and_restores_it(tmp_path):
    model = partly_frozen()
    backup = AtomicBackupAndRestore(tmp_path / "backup", double_checkpoint=True, delete_checkpoint=False)
    backup.set_model(model)
    for epoch in range(2):
        step(model, 0.25)
        backup.on_epoch_end(epoch)
    meta = json.loads((tmp_path / "backup" / "training_metadata.json").read_text())
    assert meta["weights"] == "epoch-0002.changing.npz"
    assert sorted(p.name for p in (tmp_path / "backup").glob("epoch-*")) == ["epoch-0001.changing.npz",
                                                                             "epoch-0002.changing.npz"]
    fresh = partly_frozen(seed=1)
    assert AtomicBackupAndRestore(tmp_path / "backup").restore(fresh) == 2
    assert all(np.array_equal(a, b) for a, b in zip(head_and_optimizer(fresh), head_and_optimizer(model)))
    assert all(np.array_equal(a, b) for a, b in zip(fresh.get_weights(), model.get_weights()))

    other_backbone = partly_frozen(seed=1, frozen_seed=8)  # a state saved over other frozen weights is refused
    with pytest.raises(ArtzooError, match="other frozen weights"):
        AtomicBackupAndRestore(tmp_path / "backup").restore(other_backbone)


def test_best_epoch_is_pending_until_the_phase_ends(tmp_path):
    target = tmp_path / "model.keras"
    model = partly_frozen()
    checkpoint = AtomicModelCheckpoint(str(target), monitor="val_loss", mode="min", save_best_only=True)
    checkpoint.set_model(model)
    step(model, 0.1)
    checkpoint.on_epoch_end(0, {"val_loss": 1.0})
    assert not target.exists() and saved_best(target) == 1.0
    step(model, 0.1)
    checkpoint.on_epoch_end(1, {"val_loss": 0.5})
    best = model.get_weights()
    step(model, 0.1)
    checkpoint.on_epoch_end(2, {"val_loss": 0.7})  # worse: nothing written
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.keras.pending-0001.npz", "model.keras.pending.json"]
    last = model.get_weights()

    checkpoint.on_train_end()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.keras", "model.keras.json"]
    assert json.loads(state_path(target).read_text()) == {"monitor": "val_loss", "best": 0.5, "epoch": 1}
    loaded = keras.models.load_model(target, safe_mode=True)
    assert all(np.array_equal(a, b) for a, b in zip(loaded.get_weights(), best))
    assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), last))  # the model in memory untouched
    assert not commit_pending(target, model)  # nothing left to commit


def test_a_killed_phase_commits_its_pending_best_on_resume(tmp_path):
    target = tmp_path / "model.keras"
    model = partly_frozen()
    checkpoint = AtomicModelCheckpoint(str(target), monitor="val_loss", mode="min", save_best_only=True)
    checkpoint.set_model(model)
    step(model, 0.3)
    checkpoint.on_epoch_end(0, {"val_loss": 0.9})
    best = model.get_weights()
    # Killed here: no on_train_end. The rerun rebuilds the model (same frozen weights, new head).
    resumed = partly_frozen(seed=5)
    assert saved_best(target) == 0.9  # the value a resumed checkpoint must beat
    assert commit_pending(target, resumed)
    loaded = keras.models.load_model(target, safe_mode=True)
    assert all(np.array_equal(a, b) for a, b in zip(loaded.get_weights(), best))
    assert not pending_record(target).exists() and saved_best(target) == 0.9
