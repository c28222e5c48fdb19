"""The tf.distribute strategy of a run, which worker this process is, and a barrier between workers.

    auto         multiworker when TF_CONFIG is set, else mirrored when the machine has more than one GPU,
                 else none. (Workers that ignored TF_CONFIG would each train alone into one run directory.)
    none         TensorFlow's default strategy: one device.
    mirrored     MirroredStrategy over the local GPUs (over the logical CPU devices where there is no GPU).
    multiworker  MultiWorkerMirroredStrategy over the machines that TF_CONFIG lists.
    tpu          TPUStrategy through TPUClusterResolver (TPU_NAME, default "local" for a TPU VM).

A multi-worker strategy must exist before TensorFlow runs its first op, so `create_distribution` is the
first thing a training run calls.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Optional

import tensorflow as tf

from artzoo.errors import ArtzooError, choice_error

STRATEGIES = ("auto", "none", "mirrored", "multiworker", "tpu")


@dataclass(frozen=True)
class Distribution:
    """A strategy and this process's place in it."""

    strategy: tf.distribute.Strategy
    kind: str  # the resolved kind: none | mirrored | multiworker | tpu
    num_workers: int = 1
    task: str = "worker:0"
    is_chief: bool = True

    @property
    def replicas(self) -> int:
        return int(self.strategy.num_replicas_in_sync)


def create_distribution(name: str) -> Distribution:
    """Creates the strategy `name` (one of STRATEGIES); a user mistake raises a one-line ArtzooError."""
    if name not in STRATEGIES:
        raise choice_error("strategy", name, STRATEGIES)
    if name == "auto":
        if os.environ.get("TF_CONFIG"):
            name = "multiworker"
        else:
            name = "mirrored" if len(tf.config.list_physical_devices("GPU")) > 1 else "none"
    if name == "none":
        return Distribution(tf.distribute.get_strategy(), "none")
    if name == "mirrored":
        return Distribution(_mirrored(), "mirrored")
    if name == "tpu":
        return Distribution(_tpu(), "tpu")
    return _multi_worker()


def _mirrored() -> tf.distribute.MirroredStrategy:
    if tf.config.list_physical_devices("GPU"):
        return tf.distribute.MirroredStrategy()
    # No GPU: one replica per logical CPU device (one, unless the process split the CPU before TF started).
    return tf.distribute.MirroredStrategy([d.name for d in tf.config.list_logical_devices("CPU")])


def _tpu() -> tf.distribute.TPUStrategy:
    name = os.environ.get("TPU_NAME", "local")
    try:
        resolver = tf.distribute.cluster_resolver.TPUClusterResolver(tpu=name)
        tf.config.experimental_connect_to_cluster(resolver)
        tf.tpu.experimental.initialize_tpu_system(resolver)
    except (ValueError, RuntimeError, tf.errors.OpError) as err:
        reason = str(err).strip().splitlines()[0][:160]
        raise ArtzooError(f"strategy 'tpu': no TPU found (TPU_NAME={name!r}): {reason}") from None
    return tf.distribute.TPUStrategy(resolver)


def _multi_worker() -> Distribution:
    cluster, task_type, task_index = read_tf_config(os.environ.get("TF_CONFIG"))
    from artzoo.train import keras_multiworker

    keras_multiworker.install()
    try:
        strategy = tf.distribute.MultiWorkerMirroredStrategy()
    except RuntimeError as err:
        if "program startup" not in str(err):
            raise
        raise ArtzooError("strategy 'multiworker' must be created before TensorFlow runs any op; "
                          "start training in a fresh process (the `artzoo train` command does)") from None
    workers = len(cluster.get("chief", [])) + len(cluster.get("worker", []))
    return Distribution(strategy, "multiworker", workers, f"{task_type}:{task_index}",
                        is_chief(cluster, task_type, task_index))


def is_chief(cluster: dict, task_type: str, task_index: int) -> bool:
    """The chief writes the run: the "chief" task, else worker 0 (Keras's multi-worker convention)."""
    return task_type == "chief" or (task_type == "worker" and task_index == 0 and "chief" not in cluster)


def read_tf_config(text: Optional[str]) -> tuple[dict, str, int]:
    """The cluster, task type and task index of a TF_CONFIG value, checked."""
    if not text:
        raise ArtzooError("strategy 'multiworker' needs TF_CONFIG, e.g. "
                          '{"cluster": {"worker": ["host1:12345", "host2:12345"]}, '
                          '"task": {"type": "worker", "index": 0}}')
    try:
        config = json.loads(text)
    except json.JSONDecodeError as err:
        raise ArtzooError(f"TF_CONFIG is not valid JSON: {err}") from None
    cluster = config.get("cluster") if isinstance(config, dict) else None
    task = config.get("task") if isinstance(config, dict) else None
    if not isinstance(cluster, dict) or not isinstance(task, dict):
        raise ArtzooError("TF_CONFIG must hold a 'cluster' mapping and a 'task' mapping")
    task_type, index = task.get("type"), task.get("index", 0)
    if task_type not in ("chief", "worker"):
        raise choice_error("TF_CONFIG task type", task_type, ["chief", "worker"])
    members = cluster.get(task_type)
    if not isinstance(members, list) or not isinstance(index, int) or not 0 <= index < len(members):
        raise ArtzooError(f"TF_CONFIG task {task_type}:{index} is not in the cluster {cluster}")
    return cluster, task_type, index


def shard_by_data(ds: tf.data.Dataset) -> tf.data.Dataset:
    """Sets tf.data's DATA auto-shard policy: every worker runs the same seeded pipeline and keeps its share
    of each global batch.

    The sources are in-memory tensors or a TFDS split of one or a few TFRecord files, so FILE sharding would
    fail or leave workers idle; explicit per-worker shards would have unequal lengths, and workers that run
    different numbers of steps break the collectives. DATA keeps every worker in step (TensorFlow splits a
    last partial batch) and keeps each global batch the same images as on one device. The cost: every worker
    decodes and augments the whole dataset.
    """
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    options.deterministic = True  # DATA sharding needs the same element order on every worker
    return ds.with_options(options)


def barrier(dist: Distribution) -> None:
    """Returns when every worker has reached it (an all-reduce); a no-op for one worker."""
    if dist.num_workers <= 1:
        return
    strategy = dist.strategy

    @tf.function
    def all_reduce():
        return strategy.run(lambda: tf.distribute.get_replica_context().all_reduce("SUM", tf.constant(1.0)))

    all_reduce()
