"""F2 gain of per-label thresholds tuned on val, on a real multi-label head (CIFAR-10 attributes).

    ARTZOO_SHARED=../shared python bench/threshold_tuning_cifar.py [--train 200 --val 50 --test 50]
        [--image-size 96] [--epochs 4] [--out DIR]

Data: ../shared/data/cifar10_test, per class the first N files (by name) for train, the next ones for val and
test (disjoint). Heads: `class` (10-way softmax) and `attributes` (7 tags derived from the class, see
tests/cifar_attributes.py), MobileNet v1 alpha 0.25 ImageNet backbone frozen, trained by
`artzoo.train.runner.train`, which tunes the thresholds on val and applies them to test. Prints F1/F2 (micro,
macro, samples) at 0.5 and at the tuned thresholds on val and test, and the gains, from one run.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests")]
import conftest  # noqa: E402  (sets KERAS_HOME to the shared ImageNet weights, finds ../shared)

from cifar_attributes import cifar_attribute_data, two_head_config  # noqa: E402

KEYS = ("f2_micro", "f2_macro", "f2_samples", "f1_micro", "f1_macro", "mAP")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", type=int, default=200, help="train images per class")
    parser.add_argument("--val", type=int, default=50, help="val images per class")
    parser.add_argument("--test", type=int, default=50, help="test images per class")
    parser.add_argument("--image-size", type=int, default=96)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--out", default="/tmp/artzoo-bench/threshold_tuning_cifar")
    args = parser.parse_args(argv)

    from artzoo.train import runner

    out = Path(args.out) / time.strftime("%Y%m%d-%H%M%S")
    data = cifar_attribute_data(conftest.CIFAR, {"train": (0, args.train), "val": (args.train, args.val),
                                                 "test": (args.train + args.val, args.test)})
    cfg = two_head_config(out / "run", out / "saved_models", image_size=args.image_size, epochs=args.epochs)
    runner.load_labeled_data = lambda *_: data  # data from memory instead of a folder or TFDS
    started = time.time()
    run = runner.train(cfg, verbose=0)
    metrics = json.loads(run.metrics_path.read_text())
    print(f"CIFAR-10 attributes: {args.train}/{args.val}/{args.test} images per class (train/val/test), "
          f"MobileNet v1 0.25 ImageNet frozen, {args.image_size} px, {args.epochs} epochs, "
          f"{time.time() - started:.0f} s; run {run.root}")
    print(metrics["val"]["attributes"]["threshold_tuning"]["verdict"])
    print(f"\n{'split':5} {'metric':11} {'at 0.5':>8} {'tuned':>8} {'gain':>8}")
    for split in ("val", "test"):
        m = metrics[split]["attributes"]
        for key in KEYS:
            before = m["at_0.5"].get(key, m[key])  # mAP does not depend on thresholds
            print(f"{split:5} {key:11} {before:8.4f} {m[key]:8.4f} {m[key] - before:+8.4f}")
    thresholds = metrics["val"]["attributes"]["threshold_tuning"]["thresholds"]
    print("\nthresholds: " + ", ".join(f"{k} {v:.3f}" for k, v in thresholds.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
