"""Adam (beta1 0.9, beta2 0.999, epsilon 1e-8) with constant, step, exponential or cosine schedules."""

from __future__ import annotations

from typing import Optional

import keras


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


def make_optimizer(learning_rate, clipnorm: Optional[float] = None) -> keras.optimizers.Optimizer:
    return keras.optimizers.Adam(
        learning_rate=learning_rate, beta_1=0.9, beta_2=0.999, epsilon=1e-8, clipnorm=clipnorm
    )
