"""Head training: an epoch on cached embeddings vs the same epoch through the frozen backbone, one run.

    PYTHONPATH=. python bench/head_training_cache.py [--train-per-class 64] [--image-size 224]
        [--batch-size 32] [--epochs 3] [--repeats 2]

Same classifier (MobileNetV2, ImageNet weights, genre head), same optimizer, loss and batch size, no
augmentation. Slow: `model.fit` of the whole classifier (backbone frozen, as artzoo's phase 1) on artzoo's
image pipeline, decoded images cached in memory (the first epoch, which decodes, is left out). Fast: what
`train.cached_heads: auto` does, `embed_split` once, then `model.fit` of `head_model(...)` on the vectors.
Fits alternate (fast, slow, fast, slow ...); per-epoch times come from a callback; medians are compared.
The one-off embedding pass is reported too, with the epoch count from which the fast path wins.
Goal: >= 20x faster per epoch.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.louvre_subset import louvre_subset  # noqa: E402
from bench.shared_weights import use_shared_weights  # noqa: E402


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--train-per-class", type=int, default=64)
    p.add_argument("--image-size", type=int, default=224)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--repeats", type=int, default=2)
    args = p.parse_args()
    use_shared_weights()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras

    from artzoo.config import load_task_config
    from artzoo.data.pipeline import make_dataset
    from artzoo.data.sources import load_labeled_data
    from artzoo.models.classifier import build_classifier
    from artzoo.train.cached_heads import embed_split, head_model
    from artzoo.embeddings.extractor import pooled_model
    from artzoo.train.finetune import set_phase_trainable
    from artzoo.train.phases import compile_model

    root = louvre_subset(args.train_per_class, 4)
    cfg = load_task_config("genre", {"data.data_dir": str(root), "data.image_size": args.image_size,
                                     "train.schedule": "constant"})
    data = load_labeled_data(cfg.data, cfg.model.heads)
    heads, n = cfg.model.heads, sum(data.counts["train"]["genre"])
    num_classes = {h.name: len(data.classes[h.name]) for h in heads}
    steps = -(-n // args.batch_size)
    images = make_dataset(data.split("train"), heads, num_classes, args.image_size, args.batch_size, training=True,
                          shuffle_buffer=n, cache=True)
    for _ in images:  # fills the decode cache: every timed epoch reads decoded pixels from memory
        pass

    keras.utils.set_random_seed(0)
    model = build_classifier(cfg.model, data.classes, args.image_size)
    set_phase_trainable(model, cfg.model.backbone, cfg.model.weights, "frozen", 0)
    compile_model(model, cfg, 1e-3, steps, args.epochs)
    started = time.perf_counter()
    plain = make_dataset(data.split("train"), heads, num_classes, args.image_size, args.batch_size, cache=False)
    cached = embed_split(pooled_model(model), plain)
    embed_seconds = time.perf_counter() - started
    heads_only = head_model(model)
    compile_model(heads_only, cfg, 1e-3, steps, args.epochs)
    vectors = cached.dataset(args.batch_size, shuffle_buffer=n, seed=0)

    class EpochTimes(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.times = []

        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.times.append(time.perf_counter() - self.start)

    fast, slow = [], []
    for _ in range(args.repeats):
        for fitted, ds, out in ((heads_only, vectors, fast), (model, images, slow)):
            timer = EpochTimes()
            fitted.fit(ds, epochs=args.epochs, callbacks=[timer], shuffle=False, verbose=0)
            out.extend(timer.times[1:])  # the first epoch of a fit builds the train function
    t_fast, t_slow = statistics.median(fast), statistics.median(slow)
    print(f"{n} Louvre-4 training images, {args.image_size} px, batch {args.batch_size}, MobileNetV2 frozen, "
          f"{args.repeats} alternating fits of {args.epochs} epochs, load {os.getloadavg()[0]:.1f}")
    print(f"through the frozen backbone: {t_slow:.2f} s/epoch   cached embeddings: {1000 * t_fast:.1f} ms/epoch   "
          f"ratio {t_slow / t_fast:.0f}x (goal >= 20x)")
    wins = embed_seconds / max(t_slow - t_fast, 1e-9)
    print(f"one-off embedding pass: {embed_seconds:.2f} s (= {embed_seconds / t_slow:.2f} slow epochs); the fast path "
          f"is ahead from epoch {int(wins) + 1} on")
    print(f"runs s/epoch: slow {[round(v, 2) for v in slow]}, fast {[round(v, 4) for v in fast]}")


if __name__ == "__main__":
    main()
