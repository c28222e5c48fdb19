"""A checkpoint, backup or export write that fails half-way leaves the previous file loadable and untouched."""

import errno
import json
import os
import stat

import keras
import numpy as np
import pytest
import tensorflow as tf

from artzoo import atomic
from artzoo.errors import ArtzooError
from artzoo.train.backup import AtomicBackupAndRestore
from artzoo.train.checkpoint import AtomicModelCheckpoint, saved_best


class WriteFailed(OSError):
    pass


def half_write_then_fail(model, path, *args, **kwargs):
    """In place of `Model.save` / `Model.save_weights`: dies after writing part of its file (disk full, bug)."""
    if hasattr(path, "write"):  # the backup serialises into memory first
        path.write(b"\x89HDF half a file")
    else:
        with open(path, "wb") as f:
            f.write(b"PK\x03\x04 half a file")
    raise WriteFailed(f"injected failure while writing {path}")


def disk_full(fd):
    """In place of os.fsync: the bytes went to the page cache, flushing them to the full disk fails."""
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def tiny_model(seed: int = 0) -> keras.Model:
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, name="dense")])
    model.compile(optimizer="adam", loss="mse")
    return model


def leftovers(directory):
    return sorted(p.name for p in directory.iterdir() if ".tmp" in p.name)


def test_interrupted_checkpoint_write_keeps_the_previous_model(tmp_path, monkeypatch):
    target = tmp_path / "model.keras"
    model = tiny_model()
    checkpoint = AtomicModelCheckpoint(str(target), monitor="val_loss", mode="min", save_best_only=True)
    checkpoint.set_model(model)
    checkpoint.on_epoch_end(0, {"val_loss": 1.0})
    saved = target.read_bytes()
    saved_weights = model.get_weights()
    assert saved_best(target) == 1.0

    model.set_weights([w + 1 for w in model.get_weights()])
    monkeypatch.setattr(keras.Model, "save", half_write_then_fail)
    with pytest.raises(WriteFailed):
        checkpoint.on_epoch_end(1, {"val_loss": 0.5})  # better: it tries to replace the file, and fails
    assert target.read_bytes() == saved
    assert leftovers(tmp_path) == []
    assert saved_best(target) == 1.0  # the record still describes the file on disk
    monkeypatch.undo()
    loaded = keras.models.load_model(target, safe_mode=True)
    assert all(np.array_equal(a, b) for a, b in zip(loaded.get_weights(), saved_weights))
    assert stat.S_IMODE(target.stat().st_mode) & 0o044 == 0o044  # readable like a normally written file


def backed_up_model(tmp_path, epochs: int):
    """A model whose backup callback committed `epochs` epochs; returns it, the callback, weights per epoch."""
    model = tiny_model()
    backup = AtomicBackupAndRestore(tmp_path / "backup", double_checkpoint=True, delete_checkpoint=False)
    backup.set_model(model)
    model.optimizer.build(model.trainable_variables)
    weights = {}
    for epoch in range(epochs):
        model.set_weights([w + 0.5 for w in model.get_weights()])
        backup.on_epoch_end(epoch)
        weights[epoch + 1] = model.get_weights()
    return model, backup, weights


def restored_weights(tmp_path):
    model = tiny_model(seed=1)
    epoch = AtomicBackupAndRestore(tmp_path / "backup").restore(model)
    return epoch, model.get_weights()


@pytest.mark.parametrize("fault", ["writer fails", "disk full"])
def test_interrupted_backup_write_keeps_the_last_commit(tmp_path, monkeypatch, fault):
    model, backup, weights = backed_up_model(tmp_path, epochs=2)
    if fault == "writer fails":
        monkeypatch.setattr(keras.Model, "save_weights", half_write_then_fail)
        with pytest.raises(WriteFailed):
            backup.on_epoch_end(2)
    else:
        monkeypatch.setattr(atomic.os, "fsync", disk_full)
        with pytest.raises(OSError) as err:
            backup.on_epoch_end(2)
        # A clean Python OSError naming the file (h5py writing to a full disk can leave broken HDF5 objects).
        assert err.value.errno == errno.ENOSPC
        assert err.value.filename == str(tmp_path / "backup" / "epoch-0003.weights.h5")
    monkeypatch.undo()
    assert leftovers(tmp_path / "backup") == []
    epoch, restored = restored_weights(tmp_path)
    assert epoch == 2
    assert all(np.array_equal(a, b) for a, b in zip(restored, weights[2]))


def test_double_checkpoint_falls_back_to_the_previous_backup(tmp_path):
    _, _, weights = backed_up_model(tmp_path, epochs=3)
    latest = json.loads((tmp_path / "backup" / "training_metadata.json").read_text())
    assert latest == {"epoch": 3, "batch": 0, "weights": "epoch-0003.weights.h5"}
    assert sorted(p.name for p in (tmp_path / "backup").glob("*.h5")) == ["epoch-0002.weights.h5",
                                                                          "epoch-0003.weights.h5"]
    (tmp_path / "backup" / "epoch-0003.weights.h5").write_bytes(b"corrupted")
    epoch, restored = restored_weights(tmp_path)
    assert epoch == 2
    assert all(np.array_equal(a, b) for a, b in zip(restored, weights[2]))

    (tmp_path / "backup" / "epoch-0002.weights.h5").write_bytes(b"corrupted too")
    with pytest.raises(ArtzooError, match="cannot be read"):
        restored_weights(tmp_path)


def test_interrupted_export_keeps_the_previous_version_servable(tmp_path, monkeypatch):
    from artzoo.config import HeadConfig, ModelConfig
    from artzoo.export.saved_model import HeadSpec, ServingSpec, export_saved_model
    from artzoo.models.classifier import build_classifier

    classes = ["a", "b", "c"]
    model = build_classifier(ModelConfig(backbone="cnn3", weights="none", heads=(HeadConfig(name="style"),)),
                             {"style": classes}, 32)
    spec = ServingSpec([HeadSpec("style", classes)], image_size=32)
    base = tmp_path / "style"
    first = export_saved_model(model, spec, base)
    assert stat.S_IMODE(first.stat().st_mode) & 0o055 == 0o055  # a serving user can enter it
    archive_class = type(keras.export.ExportArchive())  # the constructor returns the backend's subclass
    original = archive_class.write_out

    def write_then_fail(self, filepath, *args, **kwargs):
        original(self, filepath, *args, **kwargs)
        raise WriteFailed("injected failure after the SavedModel files, before the metadata")

    monkeypatch.setattr(archive_class, "write_out", write_then_fail)
    with pytest.raises(WriteFailed):
        export_saved_model(model, spec, base)
    assert sorted(p.name for p in base.iterdir()) == ["1"]  # no version 2, no temporary folder
    served = tf.saved_model.load(str(first))
    images = tf.random.uniform([2, 40, 40, 3], 0, 255, seed=1)
    out = served.signatures["serving_images"](images=images)
    assert out["style_probabilities"].shape == (2, 3)
