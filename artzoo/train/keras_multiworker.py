"""Two fixes that let Keras 3's TensorFlow trainer run under MultiWorkerMirroredStrategy with several workers.

Keras 3.15's `fit` fails there (keras-team/keras#20585, tensorflow/tensorflow#72388):
  1. `_maybe_symbolic_build` reduces the first input batch, a tuple, with `strategy.reduce`, which takes one
     tensor: "Attempt to convert a value (PerReplica ...) to a Tensor". Only the batch's shapes are needed,
     so the fix builds from this worker's first local replica batch.
  2. `reduce_per_replica` averages each step's outputs with `strategy.reduce("MEAN", v, axis=0)`; step
     outputs are scalars, so that fails ("Invalid reduction dimension 0 for input with 0 dimensions"). The
     fix averages scalars with `axis=None`, a plain mean over all replicas of all workers.
Both patches change nothing for other strategies. `install` is idempotent; the multi-worker test runs
two real workers through them.
"""

from __future__ import annotations

import tensorflow as tf
from keras.src import tree
from keras.src.backend.tensorflow import trainer as tf_trainer

_INSTALLED = False


def install() -> None:
    global _INSTALLED
    if _INSTALLED:
        return
    _patch_symbolic_build()
    _patch_reduce_per_replica()
    _INSTALLED = True


def _multi_worker(strategy) -> bool:
    return tf_trainer._collective_all_reduce_multi_worker(strategy)


def _first_local(value):
    if isinstance(value, tf.distribute.DistributedValues):
        return value.values[0]
    return value


def _patch_symbolic_build() -> None:
    original = tf_trainer.TensorFlowTrainer._maybe_symbolic_build

    def maybe_symbolic_build(self, iterator=None, data_batch=None):
        if self._distribute_strategy is None or iterator is None or not _multi_worker(self.distribute_strategy):
            return original(self, iterator=iterator, data_batch=data_batch)
        for _, _, it in iterator:
            data_batch = tree.map_structure(_first_local, next(it))
            break
        with self.distribute_strategy.scope():
            self._symbolic_build(data_batch=data_batch)

    tf_trainer.TensorFlowTrainer._maybe_symbolic_build = maybe_symbolic_build


def _patch_reduce_per_replica() -> None:
    original = tf_trainer.reduce_per_replica

    def reduce_per_replica(values, strategy, reduction):
        if reduction not in ("auto", "mean") or not _multi_worker(strategy):
            return original(values, strategy, reduction)

        def mean(value):
            rank = _first_local(value).shape.rank
            return strategy.reduce("MEAN", value, axis=None if rank == 0 else 0)

        return tree.map_structure(mean, values)

    tf_trainer.reduce_per_replica = reduce_per_replica
