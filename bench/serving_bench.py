"""SavedModel serving cost of decoding in the graph: `serving_default` (JPEG bytes) vs `serving_images`
(float32 pixels already decoded) on the same batch of Louvre paintings. Goal: ratio <= 1.15.

    python bench/serving_bench.py [--backbone mobilenet_v2] [--image-size 224] [--batch 32] [--repeats 10]

Both signatures resize and run the same model; the difference is the bounded JPEG decode. Timings alternate
between the two signatures (noisy shared machine), and the ratio of the medians is printed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("ARTZOO_SHARED", REPO.parent / "shared"))


def offline_keras_home() -> None:
    """Keras's weight cache pointed at ../shared/weights (set before Keras is imported)."""
    home = Path(tempfile.mkdtemp(prefix="artzoo-bench-keras-"))
    (home / "models").mkdir()
    for weights in sorted((SHARED / "weights").glob("*.h5")):
        os.symlink(weights, home / "models" / weights.name)
    os.environ["KERAS_HOME"] = str(home)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def timed(fn, **inputs) -> float:
    start = time.perf_counter()
    out = fn(**inputs)
    next(iter(out.values())).numpy()
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backbone", default="mobilenet_v2")
    parser.add_argument("--image-size", type=int, default=224)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=10)
    args = parser.parse_args()
    offline_keras_home()
    sys.path.insert(0, str(REPO))
    import numpy as np
    import tensorflow as tf

    from artzoo.config import HeadConfig, ModelConfig
    from artzoo.export.saved_model import export_saved_model
    from artzoo.export.serving_spec import HeadSpec, ServingSpec
    from artzoo.models.classifier import build_classifier

    classes = ["Genre", "Landscape", "Naturmort", "Portrait"]
    cfg = ModelConfig(backbone=args.backbone, weights="imagenet", heads=(HeadConfig(name="genre"),))
    model = build_classifier(cfg, {"genre": classes}, args.image_size)
    spec = ServingSpec([HeadSpec("genre", classes)], image_size=args.image_size)
    version = export_saved_model(model, spec, Path(tempfile.mkdtemp(prefix="artzoo-bench-")) / "genre")
    loaded = tf.saved_model.load(str(version))
    by_bytes, by_images = loaded.signatures["serving_default"], loaded.signatures["serving_images"]

    files = sorted((SHARED / "data" / "louvre_genre" / "val").glob("*/*.jpg"))[: args.batch]
    encoded = tf.constant([f.read_bytes() for f in files])
    pixels = tf.constant(np.stack([tf.io.decode_image(f.read_bytes(), channels=3).numpy() for f in files]), tf.float32)
    for _ in range(2):  # warm-up: first calls build kernels and thread pools
        timed(by_bytes, image_bytes=encoded), timed(by_images, images=pixels)
    bytes_times, image_times = [], []
    for _ in range(args.repeats):
        bytes_times.append(timed(by_bytes, image_bytes=encoded))
        image_times.append(timed(by_images, images=pixels))
    t_bytes, t_images = statistics.median(bytes_times), statistics.median(image_times)
    shape = "x".join(str(d) for d in pixels.shape[1:3])
    print(f"model: {args.backbone} {args.image_size}px, batch {len(files)} Louvre JPEGs ({shape}), "
          f"{args.repeats} alternating runs, TF {tf.__version__}, {os.cpu_count()} CPUs")
    print(f"serving_default (JPEG bytes):     median {1000 * t_bytes:.1f} ms/batch, min {1000 * min(bytes_times):.1f}")
    print(f"serving_images (float32 pixels):  median {1000 * t_images:.1f} ms/batch, min {1000 * min(image_times):.1f}")
    print(f"ratio bytes/float (medians): {t_bytes / t_images:.3f} (goal <= 1.15); "
          f"of minima: {min(bytes_times) / min(image_times):.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
