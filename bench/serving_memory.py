"""Memory a `serving_default` request costs at the default serving bounds: each request in a fresh process
that loads the SavedModel with TensorFlow alone (as TF Serving would), warms it on one small image, then sends
the request; the cost is the growth of the process's peak resident memory (ru_maxrss).

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
import json, resource, sys
import numpy as np
import tensorflow as tf

model = tf.saved_model.load(sys.argv[1])
serve = model.signatures["serving_default"]
side, count = int(sys.argv[2]), int(sys.argv[3])

def jpeg(size, seed):
    y, x = np.mgrid[0:size, 0:size]
    rng = np.random.default_rng(seed)
    image = np.stack([x % 256, y % 256, (x + y) % 256], -1) + rng.normal(0, 8, (size, size, 3))
    return tf.io.encode_jpeg(np.clip(image, 0, 255).astype(np.uint8), quality=85).numpy()

serve(image_bytes=tf.constant([jpeg(224, 0)]))  # warm: graph initialisation is not the request's cost
request = [jpeg(side, i) for i in range(count)]
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    serve(image_bytes=tf.constant(request))
    outcome = "served"
except tf.errors.InvalidArgumentError as err:
    outcome = "rejected: " + [l for l in err.message.splitlines() if "assertion" in l][0][:90]
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"mb": (after - before) / 1024, "bytes": sum(map(len, request)), "outcome": outcome}))
"""


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
        for name, size, count in cases:
            out = subprocess.run([sys.executable, "-c", PROBE, str(version), str(size), str(count)],
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
