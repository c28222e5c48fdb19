"""Mixed precision: the policy is set before the model is built; heads compute in float32 regardless."""

from __future__ import annotations

import contextlib

import keras
import tensorflow as tf

from artzoo.errors import ArtzooError

POLICIES = {"off": "float32", "float16": "mixed_float16", "bfloat16": "mixed_bfloat16"}


def resolve_policy(setting: str) -> str:
    """"auto": mixed_float16 on a GPU, float32 on CPU (bfloat16 on CPU is opt-in: it is not faster everywhere)."""
    if setting == "auto":
        return "mixed_float16" if tf.config.list_physical_devices("GPU") else "float32"
    if setting not in POLICIES:
        raise ArtzooError(f"unknown mixed precision {setting!r}; expected one of: auto, {', '.join(POLICIES)}")
    return POLICIES[setting]


@contextlib.contextmanager
def precision_policy(setting: str):
    """Sets the global Keras dtype policy for the duration of a build + train, then restores it.

    Under mixed_float16, `Model.compile` wraps the optimizer in a LossScaleOptimizer (dynamic loss scaling).
    """
    policy = resolve_policy(setting)
    previous = keras.mixed_precision.global_policy().name
    keras.mixed_precision.set_global_policy(policy)
    try:
        yield policy
    finally:
        keras.mixed_precision.set_global_policy(previous)
