"""Embedding throughput: artzoo's embed pipeline from JPEG files vs the model on tensors already in memory
(the model's own limit) vs the seeds' naive loop, per backbone, measured in one run.

    PYTHONPATH=. python bench/embed_throughput.py [--backbones mobilenet_v2 resnet50] [--images 256]
        [--batch-size 32] [--repeats 3]

Images: the first N Louvre-4 training JPEGs (sorted; 500 x 500 px), copied to a temporary class folder.
Contenders, each over the same N images, the same embedder (the classifier cut at `pool`) and batch size:

  artzoo    `embed_collection(model, folder_collection(dir), ...)`: files read, decoded and resized in
            tf.data (parallel map, batched, prefetched), then `model.predict` over the pipeline.
  memory    the pixels already decoded and resized, held as a float32 tensor; a compiled
            `model(x, training=False)` per batch. No input work at all: the model's limit.
  naive     the seeds' loop: per batch, PIL open + RGB + resize, `np.stack`, `model.predict(batch)`.
  pipeline  (profile, not a contender) artzoo's input side alone: `embed_pipeline` iterated, no model.

Runs alternate artzoo, memory, naive, artzoo, ... so machine noise hits all three; medians are compared.
ResNet50 uses random weights (`--weights none`): throughput does not depend on the weights' values.
Goals (2-core CPU): artzoo >= 0.90 x memory and >= 1.5 x naive.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.shared_weights import SHARED, use_shared_weights  # noqa: E402

WEIGHTS = {"mobilenet_v2": "imagenet", "resnet50": "none"}


def copy_images(n: int) -> Path:
    src = sorted((SHARED / "data" / "louvre_genre" / "train").glob("*/*.jpg"))
    step = max(len(src) // n, 1)
    chosen = src[::step][:n]  # spread over the four classes
    root = Path(tempfile.mkdtemp(prefix="artzoo-embed-bench-"))
    for f in chosen:
        (root / f.parent.name).mkdir(exist_ok=True)
        shutil.copy(f, root / f.parent.name / f.name)
    return root


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--backbones", nargs="+", default=["mobilenet_v2", "resnet50"])
    p.add_argument("--images", type=int, default=256)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--repeats", type=int, default=3)
    args = p.parse_args()
    use_shared_weights()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import numpy as np
    import tensorflow as tf
    from PIL import Image

    from artzoo.embeddings.extractor import EmbedderSettings, build_embedder, embed_collection, embed_pipeline
    from artzoo.embeddings.images import folder_collection

    root = copy_images(args.images)
    started = time.perf_counter()
    collection = folder_collection(root)
    scan = time.perf_counter() - started
    n, bs = len(collection), args.batch_size
    print(f"{n} Louvre-4 JPEGs (500 px), batch {bs}, {args.repeats} alternating repeats, TF {tf.__version__}, "
          f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}; folder scan + validation {scan:.2f} s (once)")
    for backbone in args.backbones:
        model, desc = build_embedder(EmbedderSettings(backbone=backbone, weights=WEIGHTS.get(backbone, "imagenet")))
        size = desc["image_size"]
        pixels = tf.constant(embed_pixels(collection, size))
        infer = tf.function(lambda x: model(x, training=False), jit_compile=False)

        def artzoo():
            return embed_collection(model, collection, size, "squash", bs)

        def memory():
            return np.concatenate([infer(pixels[i:i + bs]).numpy() for i in range(0, n, bs)])

        def naive():
            out = []
            for i in range(0, n, bs):
                batch = [np.asarray(Image.open(f).convert("RGB").resize((size, size)), dtype=np.float32)
                         for f in collection.paths[i:i + bs]]
                out.append(model.predict(np.stack(batch), verbose=0))
            return np.concatenate(out)

        def pipeline():  # profile: artzoo's input side alone (read + decode + resize), no model
            return [b for b in embed_pipeline(collection, size, "squash", bs)]

        contenders = {"artzoo": artzoo, "memory": memory, "naive": naive, "pipeline": pipeline}
        for fn in contenders.values():  # warm-up: traces, kernels, thread pools
            fn()
        times = {name: [] for name in contenders}
        for _ in range(args.repeats):
            for name, fn in contenders.items():
                t = time.perf_counter()
                fn()
                times[name].append(time.perf_counter() - t)
        rate = {name: n / statistics.median(ts) for name, ts in times.items()}
        print(f"{backbone} {size}px ({desc['weights']} weights): " + ", ".join(
            f"{name} {rate[name]:.1f} img/s" for name in contenders) + " (pipeline: input side alone, profile)")
        print(f"  artzoo / memory {rate['artzoo'] / rate['memory']:.3f} (goal >= 0.90)   "
              f"artzoo / naive {rate['artzoo'] / rate['naive']:.2f}x (goal >= 1.5)   "
              f"runs s: " + "; ".join(f"{k} {[round(v, 2) for v in ts]}" for k, ts in times.items()))
    shutil.rmtree(root, ignore_errors=True)
    print(f"load after: {os.getloadavg()[0]:.1f}")


def embed_pixels(collection, size: int):
    """The pixels artzoo's pipeline feeds the model, decoded once (not timed)."""
    import numpy as np
    import tensorflow as tf

    from artzoo.data.resize import decode_rgb, resize_image

    return np.stack([resize_image(decode_rgb(tf.io.read_file(p)), size).numpy() for p in collection.paths])


if __name__ == "__main__":
    main()
