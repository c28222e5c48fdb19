"""Two replicas on one machine: where each replica's share of the gradient decides something for all.

Run as a script (a fresh process: logical devices must be set before TensorFlow starts); prints one JSON object.

    python tests/two_replicas.py [--device cpu|gpu] [--xla off|on]

- overflow: a tiny mixed_float16 model takes one step on a global batch of 4 (2 per replica) with an inf pixel
  injected into replica 0's or replica 1's half, or none; for artzoo's CrossReplicaLossScaleOptimizer and for
  Keras's LossScaleOptimizer. Records whether the step was skipped (weights unchanged and finite, iterations
  0) and the loss scale after it (halved on a skip).
- clipping: five Adam steps with clipnorm on two replicas and on one device, same global batches; records the
  largest weight difference for artzoo's GlobalClipAdam and for Keras's Adam(global_clipnorm).

With --device gpu the first GPU is split into two logical GPUs (the GPU check runs it there).
A case that cannot run records its error instead of stopping the script; XLA cases run only when a plain
float32 step compiles with XLA on the two devices (else `xla_unavailable` holds the error).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import tensorflow as tf  # noqa: E402


def split_device(kind: str) -> list[str]:
    """Two logical devices of the first `kind` device; their names."""
    physical = tf.config.list_physical_devices(kind.upper())[0]
    config = tf.config.LogicalDeviceConfiguration(memory_limit=2048 if kind == "gpu" else None)
    tf.config.set_logical_device_configuration(physical, [config, config])
    return [d.name for d in tf.config.list_logical_devices(kind.upper())][:2]


def two_replica_strategy(devices: list[str]) -> tf.distribute.MirroredStrategy:
    # Two logical GPUs on one chip cannot use NCCL (one rank per GPU): reduce through one device instead.
    ops = tf.distribute.ReductionToOneDevice() if "GPU" in devices[0].upper() else None
    return tf.distribute.MirroredStrategy(devices, cross_device_ops=ops)


def tiny_model(keras):
    inputs = keras.Input((4,))
    hidden = keras.layers.Dense(3, kernel_initializer="ones", name="hidden")(inputs)
    outputs = keras.layers.Dense(1, dtype="float32", kernel_initializer="ones", name="out")(hidden)
    return keras.Model(inputs, outputs)


def overflow_case(strategy, optimizer: str, bad_replica: int, xla: bool) -> dict:
    import keras
    import numpy as np

    from artzoo.train.replica_optimizers import CrossReplicaLossScaleOptimizer

    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        with strategy.scope():
            model = tiny_model(keras)
            wrap = CrossReplicaLossScaleOptimizer if optimizer == "artzoo" else keras.optimizers.LossScaleOptimizer
            model.compile(optimizer=wrap(keras.optimizers.SGD(0.01)), loss="mse", jit_compile=xla)
        x = np.full((4, 4), 0.01, np.float32)
        if bad_replica >= 0:
            x[2 * bad_replica] = np.inf  # rows 0-1 go to replica 0, rows 2-3 to replica 1
        data = tf.data.Dataset.from_tensor_slices((x, np.zeros((4, 1), np.float32))).batch(4)
        model.fit(data, epochs=1, verbose=0)
        kernel = model.get_layer("hidden").kernel.numpy()
        return {"finite": bool(np.isfinite(kernel).all()), "changed": bool((kernel != 1).any()),
                "loss_scale": float(model.optimizer.dynamic_scale.numpy()),
                "iterations": int(model.optimizer.iterations.numpy())}
    except Exception as err:  # recorded: the caller decides what a failure means here
        return {"error": f"{type(err).__name__}: {str(err).strip().splitlines()[0][:200]}"}
    finally:
        keras.mixed_precision.set_global_policy("float32")


def xla_probe(strategy) -> str:
    """"" when a plain float32 SGD step compiles with XLA under `strategy`, else the error (with Keras 3.15 the
    whole multi-replica step becomes one XLA program, which two logical CPU devices cannot run)."""
    import keras
    import numpy as np

    try:
        with strategy.scope():
            model = tiny_model(keras)
            model.compile(optimizer=keras.optimizers.SGD(0.01), loss="mse", jit_compile=True)
        data = tf.data.Dataset.from_tensor_slices((np.ones((4, 4), np.float32), np.zeros((4, 1), np.float32)))
        model.fit(data.batch(4), epochs=1, verbose=0)
        return ""
    except Exception as err:
        return f"{type(err).__name__}: {str(err).strip().splitlines()[0][:200]}"


def clipping_case(strategy, optimizer: str, steps: int = 5) -> list:
    import keras
    import numpy as np

    from artzoo.train.replica_optimizers import GlobalClipAdam

    rng = np.random.default_rng(0)
    x = rng.normal(0, 3, (steps * 8, 4)).astype(np.float32)
    y = rng.normal(0, 1, (steps * 8, 1)).astype(np.float32)
    data = tf.data.Dataset.from_tensor_slices((x, y)).batch(8)
    adam = GlobalClipAdam if optimizer == "artzoo" else keras.optimizers.Adam
    with strategy.scope():
        model = tiny_model(keras)
        model.compile(optimizer=adam(learning_rate=0.05, global_clipnorm=0.5), loss="mse")
    model.fit(data, epochs=1, verbose=0, shuffle=False)
    return [w.tolist() for w in model.get_weights()]


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser()
    parser.add_argument("--device", choices=["cpu", "gpu"], default="cpu")
    parser.add_argument("--xla", choices=["off", "on", "both"], default="both")
    args = parser.parse_args(argv)
    devices = split_device(args.device)
    strategy = two_replica_strategy(devices)
    out = {"devices": devices, "replicas": strategy.num_replicas_in_sync, "overflow": {}, "clipping": {}}
    for xla in {"off": [False], "on": [True], "both": [False, True]}[args.xla]:
        if xla:
            out["xla_unavailable"] = xla_probe(strategy)
            if out["xla_unavailable"]:
                continue
        for optimizer in ("artzoo", "keras"):
            for bad in (-1, 0, 1):
                key = f"xla={'on' if xla else 'off'} optimizer={optimizer} inf_on_replica={bad}"
                out["overflow"][key] = overflow_case(strategy, optimizer, bad, xla)
    one = tf.distribute.OneDeviceStrategy(devices[0])
    import numpy as np

    for optimizer in ("artzoo", "keras"):
        two_replicas, one_device = clipping_case(strategy, optimizer), clipping_case(one, optimizer)
        out["clipping"][optimizer] = max(float(np.max(np.abs(np.array(a) - np.array(b))))
                                         for a, b in zip(two_replicas, one_device))
    return out


if __name__ == "__main__":
    print(json.dumps(main()))
