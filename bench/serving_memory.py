"""Memory a `serving_default` request costs at the default serving bounds: each request in a fresh process
that loads the SavedModel with TensorFlow alone (as TF Serving would), warms it on one small image, then sends
the request; the cost is the peak of the process's resident memory during the request (sampled every
millisecond) above what it held just before.

    PYTHONPATH=. python bench/serving_memory.py [--image-size 224]

Model: MobileNetV2 (random weights: decoding and resizing cost the same), one 4-class head, default limits
(`artzoo.export.serving_spec`). Last line: the peak growth of the largest request the bounds accept.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

PROBE = r"""
import json, os, sys, threading, time
import tensorflow as tf

model = tf.saved_model.load(sys.argv[1])
serve = model.signatures["serving_default"]
warm, files = sys.argv[2], sys.argv[3:]
serve(image_bytes=tf.constant([open(warm, "rb").read()]))  # graph initialisation is not the request's cost
request = tf.constant([open(f, "rb").read() for f in files])

def rss():  # resident bytes now (ru_maxrss would keep the model loading's own peak)
    return int(open("/proc/self/statm").read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

peak, done = [rss()], threading.Event()
def sample():
    while not done.is_set():
        peak.append(rss())
        time.sleep(0.001)
before = rss()
sampler = threading.Thread(target=sample)
sampler.start()
try:
    serve(image_bytes=request)
    outcome = "served"
except tf.errors.InvalidArgumentError as err:
    outcome = "rejected: " + [l for l in err.message.splitlines() if "assertion" in l][0][19:100]
done.set()
sampler.join()
print(json.dumps({"mb": (max(peak) - before) / 2**20, "bytes": int(tf.reduce_sum(tf.strings.length(request))),
                  "outcome": outcome}))
"""


def jpeg_file(folder: Path, size: int, seed: int) -> str:
    """A smooth pattern with mild noise (compresses like a photograph), written once per size and seed."""
    import numpy as np
    from PIL import Image

    path = folder / f"{size}-{seed}.jpg"
    if not path.exists():
        y, x = np.mgrid[0:size, 0:size].astype(np.float32)
        noise = np.random.default_rng(seed).normal(0, 8, (size, size, 3)).astype(np.float32)
        image = np.stack([x % 256, y % 256, (x + y) % 256], -1) + noise
        Image.fromarray(np.clip(image, 0, 255).astype(np.uint8)).save(path, quality=85)
    return str(path)


def export(image_size: int, root: Path) -> tuple[Path, dict]:
    from artzoo.config import HeadConfig, ModelConfig
    from artzoo.export.saved_model import HeadSpec, ServingSpec, export_saved_model
    from artzoo.models.classifier import build_classifier

    classes = ["a", "b", "c", "d"]
    model = build_classifier(ModelConfig(backbone="mobilenet_v2", weights="none", heads=(HeadConfig(name="h"),)),
                             {"h": classes}, image_size)
    spec = ServingSpec([HeadSpec("h", classes)], image_size=image_size)
    limits = {"max_pixels": spec.max_pixels, "max_request_pixels": spec.max_request_pixels,
              "max_batch": spec.max_batch}
    return export_saved_model(model, spec, root / "m"), limits


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--image-size", type=int, default=224)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        version, limits = export(args.image_size, Path(tmp))
        side = int(limits["max_pixels"] ** 0.5)  # the largest square image the per-image bound accepts
        cases = [("1 image at the per-image limit", side, 1),
                 (f"{limits['max_request_pixels'] // side ** 2} at the limit (request limit)", side,
                  limits["max_request_pixels"] // side ** 2),
                 (f"{limits['max_batch']} images of 224x224 (batch limit)", 224, limits["max_batch"]),
                 ("1 image 6000x6000 (over the limit)", 6000, 1)]
        print(f"limits: {limits}; per-image limit as a square: {side}x{side}")
        print("| request | JPEG bytes | outcome | peak memory growth |")
        print("|---|---|---|---|")
        largest = 0.0
        cases.insert(0, ("1 image of 224x224", 224, 1))
        folder = Path(tmp)
        for name, size, count in cases:
            files = [jpeg_file(folder, size, seed) for seed in range(count)]
            out = subprocess.run([sys.executable, "-c", PROBE, str(version), jpeg_file(folder, 224, 99), *files],
                                 capture_output=True, text=True, timeout=900)
            if out.returncode:
                raise SystemExit(out.stderr[-2000:])
            result = json.loads(out.stdout.strip().splitlines()[-1])
            print(f"| {name} | {result['bytes'] / 1e6:.2f} MB | {result['outcome']} | +{result['mb']:.0f} MB |")
            if result["outcome"] == "served":
                largest = max(largest, result["mb"])
        print(f"largest accepted request: +{largest:.0f} MB peak")


if __name__ == "__main__":
    main()
