"""Scaled JPEG decoding (`data.decode: scaled`) vs full decode + antialiased resize, on real Louvre JPEGs:
pixel difference (PSNR) of the model input, and decode + resize time per image, measured in one run.

    PYTHONPATH=. python bench/decode_quality.py [--images 200] [--sizes 224 128 96] [--resize squash crop pad]

Both sides run `artzoo.data.resize.model_input` (the function every pipeline uses) on the same bytes, one image
at a time in a tf.function, alternating; PSNR is over all pixels of all images (whole-number pixels, 0..255).
Louvre-4 images are 500 x 500, so 224 px decodes at 1/2 (250 px), 128 px at 1/2 (250 px; 1/4 = 125 < 128), and
96 px at 1/4 (125 px).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.shared_weights import SHARED  # noqa: E402


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--images", type=int, default=200)
    p.add_argument("--sizes", type=int, nargs="+", default=[224, 128, 96])
    p.add_argument("--resize", nargs="+", default=["squash", "crop", "pad"])
    args = p.parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import numpy as np
    import tensorflow as tf

    from artzoo.data.resize import model_input

    files = sorted((SHARED / "data" / "louvre_genre" / "train").glob("*/*.jpg"))
    files = files[::max(len(files) // args.images, 1)][:args.images]
    data = [tf.constant(f.read_bytes()) for f in files]
    print(f"{len(data)} Louvre-4 train JPEGs, TF {tf.__version__}, load {os.getloadavg()[0]:.1f}")
    summary = []
    for size in args.sizes:
        for resize in args.resize:
            fns = {d: tf.function(lambda b, d=d: model_input(b, size, resize, d)) for d in ("full", "scaled")}
            times = {d: [] for d in fns}
            err, count = 0.0, 0
            for b in data:
                out = {}
                for d, fn in fns.items():
                    t = time.perf_counter()
                    out[d] = fn(b).numpy()
                    times[d].append(time.perf_counter() - t)
                err += float(np.sum((out["scaled"] - out["full"]) ** 2))
                count += out["full"].size
            psnr = 10 * np.log10(255.0 ** 2 / max(err / count, 1e-12))
            ms = {d: 1000 * statistics.median(ts[1:]) for d, ts in times.items()}
            summary.append((size, resize, psnr, ms["full"] / ms["scaled"]))
            print(f"{size}px {resize}: PSNR {psnr:.1f} dB; decode+resize {ms['full']:.2f} ms full, "
                  f"{ms['scaled']:.2f} ms scaled ({ms['full'] / ms['scaled']:.2f}x)")
    print(f"load after: {os.getloadavg()[0]:.1f}")
    print("summary: " + "; ".join(f"{s}px {r} PSNR {q:.1f} dB speed-up {x:.2f}x" for s, r, q, x in summary))


if __name__ == "__main__":
    main()
