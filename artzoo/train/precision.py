"""Mixed precision: the policy is set before the model is built; heads compute in float32 regardless.

    off       float32
    float16   mixed_float16: float16 compute, float32 variables, dynamic loss scaling
              (`artzoo.train.replica_optimizers.CrossReplicaLossScaleOptimizer`, decided on all replicas)
    bfloat16  mixed_bfloat16: float32's exponent range, so no loss scaling
    auto      mixed_bfloat16 on GPUs of compute capability 8.0 or more (A100, H100, H200, RTX 30xx/40xx),
              mixed_float16 on older GPUs, float32 on CPU (bfloat16 on CPU is opt-in: not faster everywhere)

A model trained in 16 bits is rebuilt in float32 before export and CPU inference (`float32_clone`).
"""

from __future__ import annotations

import contextlib
from typing import Optional, Sequence

import keras
import tensorflow as tf

from artzoo.errors import ArtzooError

POLICIES = {"off": "float32", "float16": "mixed_float16", "bfloat16": "mixed_bfloat16"}
BFLOAT16_CAPABILITY = (8, 0)  # Ampere: bfloat16 tensor cores


def gpu_compute_capabilities() -> list[tuple[int, int]]:
    """(major, minor) of each visible GPU ((0, 0) where TensorFlow does not say, e.g. a ROCm device)."""
    found = []
    for gpu in tf.config.list_physical_devices("GPU"):
        capability = tf.config.experimental.get_device_details(gpu).get("compute_capability")
        found.append(tuple(capability) if capability else (0, 0))
    return found


def auto_policy(capabilities: Sequence[tuple[int, int]]) -> str:
    """The "auto" policy for GPUs of these compute capabilities (none: CPU); the oldest GPU decides."""
    if not capabilities:
        return "float32"
    return "mixed_bfloat16" if min(capabilities) >= BFLOAT16_CAPABILITY else "mixed_float16"


def resolve_policy(setting: str, capabilities: Optional[Sequence[tuple[int, int]]] = None) -> str:
    """The Keras policy name of a `train.mixed_precision` setting; "auto" looks at this machine's GPUs unless
    `capabilities` is given."""
    if setting == "auto":
        return auto_policy(gpu_compute_capabilities() if capabilities is None else capabilities)
    if setting not in POLICIES:
        raise ArtzooError(f"unknown mixed precision {setting!r}; expected one of: auto, {', '.join(POLICIES)}")
    return POLICIES[setting]


@contextlib.contextmanager
def precision_policy(setting: str):
    """Sets the global Keras dtype policy for the duration of a build + train, then restores it.

    Under mixed_float16, `artzoo.train.optimizers.make_optimizer` wraps Adam in the cross-replica loss-scale
    optimizer (Keras would otherwise wrap it in its own at `compile`).
    """
    policy = resolve_policy(setting)
    previous = keras.mixed_precision.global_policy().name
    keras.mixed_precision.set_global_policy(policy)
    try:
        yield policy
    finally:
        keras.mixed_precision.set_global_policy(previous)
