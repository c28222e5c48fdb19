"""Serves an artzoo SavedModel with TensorFlow alone, as TF Serving would; run as a script by the export tests.

    python serve_without_artzoo.py VERSION_DIR FILES_JSON OUT_JSON

Writes to OUT_JSON: per-image outputs of `serving_default` (JPEG bytes, batches of 7 and of 1) and of
`serving_images` (pixels decoded here), the errors for bad inputs, a good request repeated after them, the
warmup records parsed and replayed, and which artzoo modules were imported (none, it is checked).
"""

import json
import sys

import numpy as np
import tensorflow as tf
from tensorflow_serving.apis import prediction_log_pb2


def call(signature, **inputs):
    return {k: v.numpy() for k, v in signature(**{k: tf.constant(v) for k, v in inputs.items()}).items()}


def error(signature, **inputs):
    try:
        call(signature, **inputs)
    except tf.errors.InvalidArgumentError as err:
        return [line for line in err.message.splitlines() if line.startswith(("assertion failed", "jpeg", "Invalid"))]
    return None


def main(version_dir, files_json, out_json):
    files = json.loads(files_json)
    model = tf.saved_model.load(version_dir)
    by_bytes, by_images = model.signatures["serving_default"], model.signatures["serving_images"]
    encoded = [open(f, "rb").read() for f in files]
    batches7 = [call(by_bytes, image_bytes=encoded[i:i + 7]) for i in range(0, len(encoded), 7)]
    batches1 = [call(by_bytes, image_bytes=[data]) for data in encoded]
    pixels = [tf.cast(tf.io.decode_image(data, channels=3, expand_animations=False), tf.float32)[None]
              for data in encoded]
    floats = [call(by_images, images=p) for p in pixels]

    def stack(outputs, key):
        return np.concatenate([o[key] for o in outputs])

    head = sorted(k for k in batches7[0] if k.endswith("_probabilities"))[0][: -len("_probabilities")]
    good = encoded[:2]
    before = call(by_bytes, image_bytes=good)
    truncated = encoded[0][: len(encoded[0]) // 3]
    huge_header = bytearray(encoded[0])
    sof = huge_header.index(b"\xff\xc0")
    huge_header[sof + 5:sof + 9] = (20000).to_bytes(2, "big") * 2  # claims 20000 x 20000 pixels
    errors = {
        "corrupt": error(by_bytes, image_bytes=[good[0], truncated]),
        "oversized_pixels": error(by_bytes, image_bytes=[good[0], bytes(huge_header)]),
        "oversized_bytes": error(by_bytes, image_bytes=[good[0], b"\xff\xd8\xff" + bytes(25_000_000)]),
        "oversized_images": error(by_images, images=np.zeros((1, 8000, 6000, 3), np.float32)),
    }
    after = call(by_bytes, image_bytes=good)
    warmup = []
    for record in tf.data.TFRecordDataset(f"{version_dir}/assets.extra/tf_serving_warmup_requests"):
        request = prediction_log_pb2.PredictionLog.FromString(record.numpy()).predict_log.request
        inputs = {k: tf.make_ndarray(v) for k, v in request.inputs.items()}
        out = call(model.signatures[request.model_spec.signature_name], **inputs)
        warmup.append({"signature": request.model_spec.signature_name, "inputs": sorted(inputs),
                       "batch": int(len(next(iter(inputs.values())))), "outputs": sorted(out)})
    result = {
        "head": head,
        "top1": [label[0].decode() for label in stack(batches7, f"{head}_top_k_labels")],
        "probabilities": stack(batches7, f"{head}_probabilities").tolist(),
        "batch1_probabilities": stack(batches1, f"{head}_probabilities").tolist(),
        "batch_sizes": [len(o[f"{head}_probabilities"]) for o in batches7],
        "float_probabilities": stack(floats, f"{head}_probabilities").tolist(),
        "errors": errors,
        "repeat_max_diff": float(np.abs(before[f"{head}_probabilities"] - after[f"{head}_probabilities"]).max()),
        "warmup": warmup,
        "artzoo_modules": sorted(m for m in sys.modules if m.split(".")[0] == "artzoo"),
    }
    with open(out_json, "w") as f:
        json.dump(result, f)


if __name__ == "__main__":
    main(*sys.argv[1:4])
