"""Probes an artzoo SavedModel's serving bounds with TensorFlow alone, as TF Serving would run the graph; run as a
script by tests/test_serving_bounds.py (this process never imports artzoo; it is checked).

    python serve_bounds_without_artzoo.py VERSION_DIR REQUESTS_JSON OUT_JSON

REQUESTS_JSON: {name: {"signature": ..., "bytes": [hex, ...]} or {"signature": ..., "images": [shape, fill]}}.
OUT_JSON: per request either {"outputs": {name: [shape, dtype]}} or {"error": first assertion line}, plus the
top-1 scores of the first request repeated after all others, and the artzoo modules imported (none).
"""

import json
import sys

import numpy as np
import tensorflow as tf


def inputs_of(request):
    if "bytes" in request:
        return {"image_bytes": tf.constant([bytes.fromhex(h) for h in request["bytes"]], tf.string)}
    shape, fill = request["images"]
    return {"images": tf.constant(np.full(shape, fill, np.float32))}


def run(model, request):
    try:
        out = model.signatures[request["signature"]](**inputs_of(request))
    except tf.errors.InvalidArgumentError as err:
        lines = [line for line in err.message.splitlines() if line.startswith("assertion failed")]
        return {"error": (lines or [err.message.splitlines()[0]])[0]}
    return {"outputs": {k: [list(v.shape), v.dtype.name] for k, v in sorted(out.items())},
            "scores": {k: v.numpy().tolist() for k, v in out.items() if k.endswith("_probabilities")}}


def main(version_dir, requests_json, out_json):
    model = tf.saved_model.load(version_dir)
    with open(requests_json) as f:
        requests = json.load(f)
    results = {name: run(model, request) for name, request in requests.items()}
    first = next(iter(requests))
    results["repeat_of_first"] = run(model, requests[first])
    results["artzoo_modules"] = sorted(m for m in sys.modules if m.split(".")[0] == "artzoo")
    with open(out_json, "w") as f:
        json.dump(results, f)


if __name__ == "__main__":
    main(*sys.argv[1:4])
