"""Build time of `art_folder` on the real collections and the input pipeline's throughput.

    python bench/datasets_bench.py [--shared ../shared] [--epochs 3]

For ../shared/data/cifar10_test (10,000 PNG, 32 px) and ../shared/data/louvre_genre (1,150 JPEG, 500 px)
it builds the art_folder dataset into a fresh temporary TFDS dir (validation of every image included),
then iterates the training split through `make_dataset` (decode -> resize -> [cache] -> shuffle -> batch
-> targets -> prefetch) and reports images/s of a steady epoch without the cache, of an epoch served from
the cache, and their ratio, plus the cached epoch with the default augmentation. All numbers come from
one run on this machine; compare the ratios, not the absolute rates, across machines.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import tensorflow_datasets as tfds  # noqa: E402

from artzoo.config import AugmentConfig, HeadConfig  # noqa: E402
from artzoo.data.augment import build_augmenter  # noqa: E402
from artzoo.data.pipeline import make_dataset  # noqa: E402
from artzoo.data.sources import load_tfds, prepare, tfds_builder  # noqa: E402

COLLECTIONS = (("cifar10_test", 32), ("louvre_genre", 224))
HEAD = HeadConfig(name="label", label="label")


def epoch_seconds(ds) -> tuple[float, int]:
    start, n = time.perf_counter(), 0
    for images, _, _ in ds:
        n += int(images.shape[0])
    return time.perf_counter() - start, n


def steady_rate(ds, epochs: int) -> float:
    """Images/s of the fastest epoch after the first (the first traces functions and fills caches)."""
    epoch_seconds(ds)
    times = [epoch_seconds(ds) for _ in range(max(epochs - 1, 1))]
    seconds, n = min(times)
    return n / seconds


def bench(name: str, source: Path, size: int, tfds_dir: str, epochs: int, batch: int) -> dict:
    start = time.perf_counter()
    builder = tfds_builder("art_folder", tfds_dir=tfds_dir, manual_dir=str(source))
    prepare(builder, str(source))
    build_s = time.perf_counter() - start
    total = sum(s.num_examples for s in builder.info.splits.values())
    data = load_tfds("art_folder", [HEAD], manual_dir=str(source), tfds_dir=tfds_dir)
    num = {"label": len(data.classes["label"])}
    common = dict(training=True, shuffle_buffer=1024, seed=0)
    train = data.split("train")
    uncached = steady_rate(make_dataset(train, [HEAD], num, size, batch, cache=False, **common), epochs)
    cached = steady_rate(make_dataset(train, [HEAD], num, size, batch, cache=True, **common), epochs)
    augmenter = build_augmenter(AugmentConfig(), seed=0)
    augmented = steady_rate(make_dataset(train, [HEAD], num, size, batch, cache=True, augmenter=augmenter, **common),
                            epochs)
    quarantine = builder.info.metadata["quarantine"]
    return {"name": name, "images": total, "build_s": build_s, "build_rate": total / build_s, "size": size,
            "train": sum(data.counts["train"]["label"]), "uncached": uncached, "cached": cached,
            "augmented": augmented, "rejected": sum(q["rejected"] + q["duplicates"] for q in quarantine.values())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", default=str(REPO.parent / "shared"))
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch", type=int, default=64)
    args = parser.parse_args()
    tfds.disable_progress_bar()
    rows = []
    with tempfile.TemporaryDirectory(prefix="artzoo-bench-tfds-") as tfds_dir:
        for name, size in COLLECTIONS:
            rows.append(bench(name, Path(args.shared) / "data" / name, size, tfds_dir, args.epochs, args.batch))
    print(f"\nmachine: {os.cpu_count()} CPU cores, load average {os.getloadavg()[0]:.1f}; batch {args.batch}; "
          f"steady epoch = fastest of epochs 2..{args.epochs}")
    print("| collection | images | build s | built img/s | quarantined | px | train img | uncached img/s "
          "| cached img/s | cached / uncached | cached + augment img/s |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['name']} | {r['images']} | {r['build_s']:.1f} | {r['build_rate']:.0f} | {r['rejected']} | "
              f"{r['size']} | {r['train']} | {r['uncached']:.0f} | {r['cached']:.0f} | "
              f"{r['cached'] / r['uncached']:.1f}x | {r['augmented']:.0f} |")


if __name__ == "__main__":
    main()
