"""What a fit can change, saved alone: while layers are frozen (the backbone in phase 1, its lower blocks in
phase 2), backups and best-model snapshots hold only the variables of unfrozen layers and the optimizer's.

MobileNetV2's genre model has 2.26 M parameters of which the head's 5 K train in phase 1: a full `save_weights`
took 0.35-0.49 s an epoch and `model.save` 0.44-0.58 s per improvement (README, bench/train_overhead.py); the
changing state is a few hundred KB. The frozen variables are not saved but fingerprinted (sha256 of their
bytes), and a restore refuses a state saved over other frozen weights.
"""

from __future__ import annotations

import hashlib
import io
import json

import keras
import numpy as np


def frozen_variables(model: keras.Model) -> list:
    """Variables of layers whose `trainable` is False (a fit reads them but never changes them), in model order."""
    frozen = set()
    for layer in model._flatten_layers(include_self=False, recursive=True):
        if not layer.trainable:
            frozen.update(id(v) for v in layer.variables)
    return [v for v in model.variables if id(v) in frozen]


def has_frozen(model: keras.Model) -> bool:
    return bool(frozen_variables(model))


def changing_variables(model: keras.Model) -> list:
    """Every variable a fit can change: the model's outside frozen layers (weights, BatchNorm statistics, seed
    states) and the optimizer's (slots, iterations)."""
    frozen = {id(v) for v in frozen_variables(model)}
    own = [v for v in model.variables if id(v) not in frozen]
    return own + (list(model.optimizer.variables) if model.optimizer is not None else [])


def frozen_digest(model: keras.Model) -> str:
    digest = hashlib.sha256()
    for v in frozen_variables(model):
        digest.update(np.ascontiguousarray(keras.ops.convert_to_numpy(v)).tobytes())
    return digest.hexdigest()


def state_bytes(model: keras.Model, digest: str) -> bytes:
    """An .npz of the changing variables (v0, v1, ...) with their paths and the frozen weights' digest."""
    variables = changing_variables(model)
    arrays = {f"v{i}": keras.ops.convert_to_numpy(v) for i, v in enumerate(variables)}
    meta = {"paths": [v.path for v in variables], "frozen_sha256": digest}
    buffer = io.BytesIO()
    np.savez(buffer, __meta__=np.frombuffer(json.dumps(meta).encode(), np.uint8), **arrays)
    return buffer.getvalue()


def load_state(model: keras.Model, data: bytes, digest: str | None = None) -> None:
    """Assigns a `state_bytes` snapshot to `model`; ValueError when it does not fit the model's variables or was
    saved over other frozen weights (`digest`: the current frozen digest, computed when not given)."""
    with np.load(io.BytesIO(data), allow_pickle=False) as npz:
        meta = json.loads(npz["__meta__"].tobytes())
        arrays = [npz[f"v{i}"] for i in range(len(meta["paths"]))]
    variables = changing_variables(model)  # matched by order and shape (paths carry per-process model names)
    if len(variables) != len(arrays):
        raise ValueError(f"saved state holds {len(arrays)} variables, the model {len(variables)} changing ones")
    for v, a in zip(variables, arrays):
        if tuple(v.shape) != a.shape:
            raise ValueError(f"variable {v.path}: saved shape {a.shape}, model {tuple(v.shape)}")
    if meta["frozen_sha256"] != (digest or frozen_digest(model)):
        raise ValueError("saved state was made over other frozen weights")
    for v, a in zip(variables, arrays):
        v.assign(a)


def current_values(model: keras.Model) -> list[np.ndarray]:
    """A copy of the changing variables' values (to put back after a temporary `load_state`)."""
    return [np.array(keras.ops.convert_to_numpy(v)) for v in changing_variables(model)]


def put_back(model: keras.Model, values: list[np.ndarray]) -> None:
    for v, a in zip(changing_variables(model), values):
        v.assign(a)
