"""Train-step cost of mixed precision vs float32 and of XLA (`jit_compile`) on vs off, measured in one run.

    PYTHONPATH=. python bench/gpu_precision_xla.py [--backbone mobilenet_v2] [--image-size 160] [--batch-size 16]
        [--steps 5] [--repeats 2]

Made for the GPU (mixed float16 vs float32); on a CPU it compares mixed bfloat16 instead (float16 is
emulated there). Each variant is artzoo's classifier (genre head, ImageNet weights) compiled with
`compile_model` as phase 2 trains it (top 4 blocks trainable), under `precision_policy(...)`; after one
warm-up call (traces, XLA compiles) `train_on_batch` runs `--steps` times on one in-memory batch. Variants
alternate within each repeat; the median step time of each is compared with float32, XLA off.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.shared_weights import use_shared_weights  # noqa: E402


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--backbone", default="mobilenet_v2")
    p.add_argument("--image-size", type=int, default=160)
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--steps", type=int, default=5)
    p.add_argument("--repeats", type=int, default=2)
    args = p.parse_args()
    use_shared_weights()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras
    import numpy as np
    import tensorflow as tf

    from artzoo.config import HeadConfig, RunConfig
    from artzoo.models.classifier import build_classifier
    from artzoo.train.finetune import set_phase_trainable
    from artzoo.train.phases import compile_model
    from artzoo.train.precision import precision_policy

    gpu = bool(tf.config.list_physical_devices("GPU"))
    mixed = "float16" if gpu else "bfloat16"
    cfg = RunConfig()
    cfg = replace(cfg, model=replace(cfg.model, backbone=args.backbone, heads=(HeadConfig(name="genre"),)))
    classes = {"genre": ["a", "b", "c", "d"]}
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (args.batch_size, args.image_size, args.image_size, 3)).astype("float32")
    y = {"genre": np.eye(4, dtype="float32")[rng.integers(0, 4, args.batch_size)]}

    def variant(precision: str, jit: str):
        with precision_policy(precision):
            keras.utils.set_random_seed(0)
            model = build_classifier(cfg.model, classes, args.image_size)
        set_phase_trainable(model, args.backbone, "imagenet", "fine_tune", 4)
        compile_model(model, replace(cfg, train=replace(cfg.train, jit_compile=jit)), 1e-4, 10, 1)
        model.train_on_batch(x, y)  # warm-up: trace (and XLA compile)
        return model

    names = [("off", "off"), ("off", "on"), (mixed, "off"), (mixed, "on")]  # (train.mixed_precision, jit)
    models = {}
    for precision, jit in names:
        try:
            models[(precision, jit)] = variant(precision, jit)
        except Exception as err:  # noqa: BLE001 - a variant this device cannot run is reported, not fatal
            first = str(err).splitlines()[0][:120] if str(err) else ""
            print(f"mixed_precision {precision} jit {jit}: cannot run here ({type(err).__name__}: {first})")
    times = {k: [] for k in models}
    for _ in range(args.repeats):
        for key, model in models.items():
            for _ in range(args.steps):
                t = time.perf_counter()
                model.train_on_batch(x, y)
                times[key].append(time.perf_counter() - t)
    device = tf.config.list_physical_devices("GPU")[0].name if gpu else f"CPU ({os.cpu_count()} cores)"
    print(f"{args.backbone} {args.image_size} px, batch {args.batch_size}, top 4 blocks trainable, {device}, "
          f"{args.repeats} x {args.steps} alternating steps, load {os.getloadavg()[0]:.1f}")
    base = statistics.median(times[("off", "off")])
    for (precision, jit), ts in times.items():
        t = statistics.median(ts)
        name = "float32" if precision == "off" else f"mixed {precision}"
        print(f"  {name:15s} jit_compile {jit:3s}: {1000 * t:8.1f} ms/step   "
              f"vs float32 XLA off: {base / t:.2f}x speed")


if __name__ == "__main__":
    main()
