"""Adam (beta1 0.9, beta2 0.999, epsilon 1e-8) with constant, step, exponential or cosine schedules."""

from __future__ import annotations

from typing import Optional

import keras

from artzoo.train.replica_optimizers import CrossReplicaLossScaleOptimizer, GlobalClipAdam


def learning_rate_schedule(
    base: float, schedule: str, steps_per_epoch: int, epochs: int, step_epochs: int = 10, decay_rate: float = 0.1
):
    """A Keras learning-rate schedule counted in optimizer steps.

    "step": x decay_rate every `step_epochs` epochs; "exponential": smooth decay reaching x decay_rate after
    `step_epochs` epochs; "cosine": cosine decay to 0 over the phase.
    """
    steps_per_epoch = max(1, steps_per_epoch)
    if schedule == "constant":
        return base
    if schedule == "step":
        return keras.optimizers.schedules.ExponentialDecay(
            base, decay_steps=step_epochs * steps_per_epoch, decay_rate=decay_rate, staircase=True
        )
    if schedule == "exponential":
        return keras.optimizers.schedules.ExponentialDecay(
            base, decay_steps=step_epochs * steps_per_epoch, decay_rate=decay_rate, staircase=False
        )
    if schedule == "cosine":
        return keras.optimizers.schedules.CosineDecay(base, decay_steps=max(1, epochs) * steps_per_epoch)
    raise ValueError(f"unknown schedule {schedule!r}")


def make_optimizer(learning_rate, clipnorm: Optional[float] = None,
                   policy: Optional[str] = None) -> keras.optimizers.Optimizer:
    """Adam; `clipnorm` (train.clipnorm) clips the global norm of the gradient summed over all replicas.

    Under the mixed_float16 policy (default: the global policy now) Adam is wrapped in dynamic loss scaling whose
    overflow check covers every replica's gradients (`artzoo.train.replica_optimizers`).
    """
    settings = dict(learning_rate=learning_rate, beta_1=0.9, beta_2=0.999, epsilon=1e-8)
    adam = GlobalClipAdam(global_clipnorm=clipnorm, **settings) if clipnorm else keras.optimizers.Adam(**settings)
    if (policy or keras.mixed_precision.global_policy().name) == "mixed_float16":
        return CrossReplicaLossScaleOptimizer(adam, name="loss_scale_optimizer")
    return adam
