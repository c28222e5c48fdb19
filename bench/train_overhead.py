"""Training overhead: `artzoo train` (its Python entry, default callbacks) vs a hand-written `model.fit` on the
same model, data, input pipeline and batch size, measured in one run.

    PYTHONPATH=. python bench/train_overhead.py [--train-per-class 32] [--val-per-class 8] [--image-size 224]
        [--batch-size 32] [--epochs 3] [--repeats 2] [--augment on|off]

artzoo: `artzoo.train.runner.train(cfg, data=...)` with the genre task config, phase 1 only
(fine_tune_epochs 0), export off: run directory, config/labels/data JSON, imbalance report, its callbacks
(phase logger, atomic best-model checkpoint, history CSV, TensorBoard, backup per epoch), progress files,
then evaluation of the best model on val with the confusion-matrix and curve plots.
Hand-written: the same `build_classifier` + frozen backbone + `compile_model`, then `model.fit` on the
same `make_dataset` pipelines (with the task's augmentation when --augment on) and nothing else.
Both start from the same seed and the already loaded data. Runs alternate; medians are compared, and the
artzoo run's own phase time (fit with callbacks) is split out of its total.

With --augment off, artzoo's default fast path (`train.cached_heads: auto`) trains the heads on cached
embeddings, so it is compared with the hand-written fit on images: the ratio is then a speed-up.
Goal (--augment on, the config as shipped): overhead <= 5%.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.louvre_subset import louvre_subset  # noqa: E402
from bench.shared_weights import use_shared_weights  # noqa: E402


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--train-per-class", type=int, default=32)
    p.add_argument("--val-per-class", type=int, default=8)
    p.add_argument("--image-size", type=int, default=224)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--repeats", type=int, default=2)
    p.add_argument("--augment", choices=["on", "off"], default="on")
    args = p.parse_args()
    use_shared_weights()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

    from artzoo.config import load_task_config
    from artzoo.data.augment import build_augmenter
    from artzoo.data.pipeline import make_dataset
    from artzoo.data.sources import load_labeled_data
    from artzoo.models.classifier import build_classifier
    from artzoo.train.finetune import set_phase_trainable
    from artzoo.train.phases import compile_model
    from artzoo.train.runner import seed_everything, train

    root = louvre_subset(args.train_per_class, args.val_per_class)
    off = {"data.augment.flip": False, "data.augment.rotation": 0, "data.augment.zoom": 0,
           "data.augment.contrast": 0} if args.augment == "off" else {}
    base = {"data.data_dir": str(root), "data.image_size": args.image_size, "data.batch_size": args.batch_size,
            "train.epochs": args.epochs, "train.fine_tune_epochs": 0, "export.enabled": False, **off}
    cfg = load_task_config("genre", base)
    data = load_labeled_data(cfg.data, cfg.model.heads)
    heads = cfg.model.heads
    num_classes = {h.name: len(data.classes[h.name]) for h in heads}
    n = sum(data.counts["train"]["genre"])
    steps = -(-n // args.batch_size)
    runs = Path(tempfile.mkdtemp(prefix="artzoo-bench-overhead-"))

    def artzoo_run(i):
        started = time.perf_counter()
        run = train(load_task_config("genre", {**base, "run_dir": str(runs / f"run{i}")}), verbose=0, data=data)
        total = time.perf_counter() - started
        summary = json.loads((run.root / "run.json").read_text())
        return total, summary["phase_seconds"]["frozen"], summary.get("frozen_phase_inputs", "")

    def hand_written():
        started = time.perf_counter()
        seed_everything(cfg.train.seed, False)
        model = build_classifier(cfg.model, data.classes, args.image_size)
        set_phase_trainable(model, cfg.model.backbone, cfg.model.weights, "frozen", 0)
        compile_model(model, cfg, cfg.train.learning_rate, steps, args.epochs)
        common = dict(image_size=args.image_size, batch_size=args.batch_size, seed=cfg.train.seed)
        train_ds = make_dataset(data.split("train"), heads, num_classes, training=True,
                                augmenter=build_augmenter(cfg.data.augment, cfg.train.seed), **common)
        val_ds = make_dataset(data.split("val"), heads, num_classes, **common)
        model.fit(train_ds, validation_data=val_ds, epochs=args.epochs, verbose=0)
        return time.perf_counter() - started

    hand_written()  # warm-up: first graph traces and thread pools
    totals, phases, hands = [], [], []
    inputs = ""
    for i in range(args.repeats):
        total, phase, inputs = artzoo_run(i)
        totals.append(total)
        phases.append(phase)
        hands.append(hand_written())
    t_art, t_phase, t_hand = statistics.median(totals), statistics.median(phases), statistics.median(hands)
    print(f"{n} train / {sum(data.counts['val']['genre'])} val Louvre-4 images, MobileNetV2 {args.image_size} px, "
          f"batch {args.batch_size}, {args.epochs} epochs, augmentation {args.augment}, {args.repeats} alternating "
          f"repeats, load {os.getloadavg()[0]:.1f}; artzoo phase 1 trained on: {inputs}")
    print(f"artzoo train {t_art:.1f} s (of which phase 1 fit {t_phase:.1f} s)   hand-written fit {t_hand:.1f} s   "
          f"ratio {t_art / t_hand:.3f} (overhead {100 * (t_art / t_hand - 1):+.1f}%, goal <= +5%)")
    print(f"runs s: artzoo {[round(v, 1) for v in totals]}, phase {phases}, "
          f"hand-written {[round(v, 1) for v in hands]}")
    shutil.rmtree(runs, ignore_errors=True)
    shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
