"""Optimizer parts that must see every replica's gradients: loss-scale overflow decisions and gradient clipping.

Keras 3.15 (TensorFlow backend) decides both on one replica's share of the gradient:

- `LossScaleOptimizer` (dynamic loss scaling under mixed_float16) checks for inf/NaN before the all-reduce. With
  merge calls (MirroredStrategy without XLA) it looks at the *first* replica's gradients only, so an overflow on
  another replica is summed into the weights; without merge calls (XLA on GPUs) every replica decides alone, and
  replicas that disagree diverge or wait forever at the all-reduce one of them skipped.
- `clipnorm` / `global_clipnorm` clip inside `apply`, before the gradients are all-reduced: each replica's partial
  gradient is clipped, so the applied gradient may reach `replicas x` the limit and differs from one device's.

`CrossReplicaLossScaleOptimizer` all-reduces one "any gradient non-finite here" flag before deciding, so every
replica takes the same decision on all replicas' gradients. `GlobalClipAdam` clips the all-reduced gradient by
its global norm. Both are registered (`artzoo>...`) so a `model.keras` that holds them loads with safe_mode.
"""

from __future__ import annotations

import keras
import tensorflow as tf
from keras import ops

PACKAGE = "artzoo"


def _replica_context():
    """The replica context of a multi-replica strategy, or None (one replica, or cross-replica code)."""
    context = tf.distribute.get_replica_context()
    return context if context is not None and context.num_replicas_in_sync > 1 else None


def _supports_no_merge_call() -> bool:
    return tf.__internal__.distribute.strategy_supports_no_merge_call()


@keras.saving.register_keras_serializable(package=PACKAGE)
class CrossReplicaLossScaleOptimizer(keras.optimizers.LossScaleOptimizer):
    """Keras's dynamic loss scaling, with the skip-or-apply decision taken on all replicas' gradients.

    Same arguments, variables and saved state as `keras.optimizers.LossScaleOptimizer`; one replica behaves
    exactly as it does.
    """

    def finite_on_all_replicas(self, grads) -> tf.Tensor:
        """True when every gradient on every replica is finite; the same value on all replicas."""
        finite = self.check_finite(grads)
        context = _replica_context()
        if context is None:
            return finite
        non_finite = context.all_reduce(tf.distribute.ReduceOp.SUM, 1.0 - tf.cast(finite, tf.float32))
        return ops.equal(non_finite, 0.0)

    def _tf_apply(self, grads, trainable_variables=None):
        if tf.distribute.in_cross_replica_context():
            raise ValueError("apply() must be called in a replica context.")
        finite = self.finite_on_all_replicas(grads)
        if _supports_no_merge_call():
            # Every replica branches alike, so each all-reduce inside the update is reached by all or by none.
            ops.cond(finite, lambda: self._stateful_handle_finite_grads(grads, trainable_variables),
                     self._stateful_handle_non_finite_grads)
            return

        def decide(distribution, finite, grads, trainable_variables):
            decision = distribution.experimental_local_results(finite)[0]  # equal on every replica

            def apply_fn():
                distribution.extended.call_for_each_replica(self._stateful_handle_finite_grads,
                                                            args=(grads, trainable_variables))

            ops.cond(decision, apply_fn, self._stateful_handle_non_finite_grads)

        tf.distribute.get_replica_context().merge_call(decide, args=(finite, grads, trainable_variables))


@keras.saving.register_keras_serializable(package=PACKAGE)
class GlobalClipAdam(keras.optimizers.Adam):
    """Adam whose `global_clipnorm` applies to the gradient summed over replicas (after the all-reduce), so a
    run on several devices clips the same gradient a run on one device would. Other clipping is refused."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.clipnorm or self.clipvalue:
            raise ValueError("GlobalClipAdam clips by global_clipnorm only (clipnorm and clipvalue are per replica)")

    def _clip_gradients(self, grads):
        return grads  # clipped in _backend_update_step, once the replicas' gradients are summed

    def _backend_update_step(self, grads, trainable_variables, learning_rate):
        variables = [v.value if isinstance(v, keras.Variable) else v for v in trainable_variables]
        reduced = self._all_reduce_sum_gradients(list(zip(grads, variables)))
        summed = [g for g, _ in reduced]
        if self.global_clipnorm and self.global_clipnorm > 0:
            summed = _clip_by_global_norm(summed, self.global_clipnorm)
        tf.__internal__.distribute.interim.maybe_merge_call(
            self._distributed_tf_update_step, self._distribution_strategy, list(zip(summed, variables)),
            learning_rate)


def _clip_by_global_norm(grads, clip_norm: float):
    """Every gradient scaled by min(1, clip_norm / global norm), as Keras's `global_clipnorm` does (a non-finite
    norm makes every gradient NaN, so a loss-scaled step that overflowed is still recognised and skipped)."""
    norm = ops.sqrt(ops.sum(ops.stack([ops.sum(ops.square(g)) for g in grads if g is not None])))
    scale = clip_norm * ops.minimum(1.0 / norm, 1.0 / clip_norm) + (norm - norm)
    return [g if g is None else g * ops.cast(scale, g.dtype) for g in grads]
