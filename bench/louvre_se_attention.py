"""Ablation on Louvre-4 genre: the plain head against + squeeze-and-excitation, + spatial self-attention and
both, same data, seed and training budget; prints val accuracy and macro-F1.

    python bench/louvre_se_attention.py [--image-size 160] [--epochs 4] [--fine-tune-epochs 3] [--seeds 42]

Data: ../shared/data/louvre_genre (train 950, val 200: 4 genres). Model: MobileNetV2 with ImageNet weights
(from ../shared/weights), average pooling, one softmax head; two-phase training (frozen backbone, then the top
blocks at a lower rate) through `artzoo.train.runner.train`. Val is 200 paintings, so one painting is 0.5
points: differences of a point or two are within noise (the table prints the seed spread when several seeds
are given).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.shared_weights import SHARED, use_shared_weights  # noqa: E402

use_shared_weights()

LOUVRE = SHARED / "data" / "louvre_genre"
VARIANTS = {"plain": (False, False), "se": (True, False), "attention": (False, True), "se+attention": (True, True)}


def run_variant(name: str, seed: int, args, data) -> dict:
    from artzoo.config import load_task_config
    from artzoo.train.runner import train

    se, attention = VARIANTS[name]
    cfg = load_task_config("genre", {
        "data.data_dir": str(args.data), "data.image_size": args.image_size, "data.batch_size": 32,
        "model.backbone": "mobilenet_v2", "model.weights": "imagenet", "model.se": se, "model.attention": attention,
        "train.seed": seed, "train.epochs": args.epochs, "train.fine_tune_epochs": args.fine_tune_epochs,
        "train.fine_tune_blocks": args.fine_tune_blocks, "train.mixed_precision": "off",
        "run_dir": str(Path(args.out) / f"{name}-seed{seed}"), "export.enabled": False,
    })
    started = time.time()
    run = train(cfg, verbose=0, data=data)
    metrics = json.loads(run.metrics_path.read_text())["val"]["genre"]
    summary = run.read_json(run.summary_path)
    return {"variant": name, "seed": seed, "accuracy": metrics["accuracy"], "macro_f1": metrics["macro"]["f1"],
            "parameters": summary["parameters"], "seconds": round(time.time() - started, 1)}


def print_table(results: list[dict], args, n_val: int) -> None:
    print(f"\nLouvre-4 genre, val {n_val} paintings; MobileNetV2 ImageNet at {args.image_size} px, "
          f"{args.epochs} frozen + "
          f"{args.fine_tune_epochs} fine-tune epochs (top {args.fine_tune_blocks} blocks), seeds {args.seeds}")
    print(f"{'variant':14} {'parameters':>11} {'val accuracy':>13} {'val macro-F1':>13} "
          f"{'vs plain (acc)':>15} {'s/run':>7}")
    plain = [r["accuracy"] for r in results if r["variant"] == "plain"]
    for name in VARIANTS:
        rows = [r for r in results if r["variant"] == name]
        if not rows:
            continue
        acc = [r["accuracy"] for r in rows]
        f1 = [r["macro_f1"] for r in rows]
        spread = f" ±{statistics.pstdev(acc):.3f}" if len(acc) > 1 else ""
        delta = statistics.mean(acc) - statistics.mean(plain) if plain else float("nan")
        print(f"{name:14} {rows[0]['parameters']:>11,} {statistics.mean(acc):>9.4f}{spread:>4} "
              f"{statistics.mean(f1):>13.4f} {delta:>+15.4f} {statistics.mean(r['seconds'] for r in rows):>7.0f}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--image-size", type=int, default=160)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--fine-tune-epochs", type=int, default=3)
    parser.add_argument("--fine-tune-blocks", type=int, default=4)
    parser.add_argument("--seeds", type=int, nargs="+", default=[42])
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    parser.add_argument("--data", default=str(LOUVRE))
    parser.add_argument("--out", default="/tmp/artzoo-bench/louvre_se_attention")
    parser.add_argument("--table-from", nargs="+", metavar="RESULTS_JSON",
                        help="print the table of earlier runs' results.json files (e.g. one per seed), train nothing")
    args = parser.parse_args(argv)
    if args.table_from:
        results = [r for f in args.table_from for r in json.loads(Path(f).read_text())["results"]]
        args.seeds = sorted({r["seed"] for r in results})
        print_table(results, args, n_val=json.loads(Path(args.table_from[0]).read_text()).get("n_val", 200))
        return 0

    from artzoo.config import HeadConfig
    from artzoo.data.sources import load_folder

    data = load_folder(args.data, [HeadConfig("genre")])
    print(f"data: {data.source}; " + ", ".join(f"{s} {sum(c['genre'])}" for s, c in data.counts.items()), flush=True)
    results = []
    for seed in args.seeds:
        for name in args.variants:
            results.append(run_variant(name, seed, args, data))
            print(json.dumps(results[-1]), flush=True)
    print_table(results, args, sum(data.counts["val"]["genre"]))
    out = Path(args.out) / "results.json"
    out.write_text(json.dumps({"args": {k: str(v) for k, v in vars(args).items()}, "results": results,
                               "n_val": sum(data.counts["val"]["genre"])}, indent=2))
    print(f"results: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
