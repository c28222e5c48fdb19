"""Serving bounds in the SavedModel graph, probed in a process that never imports artzoo: images per request,
decoded pixels per image and per request (from headers, before decoding), a header whose pixel count wraps
around int64, empty batches (empty outputs, no conv on zero images), non-finite float pixels."""

import io
import json
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from conftest import REPO
from test_bounded_decode import png_claiming

SCRIPT = REPO / "tests" / "serve_bounds_without_artzoo.py"
LIMITS = {"max_pixels": 10_000, "max_batch": 3, "max_request_pixels": 15_000}


def png(width: int, height: int, seed: int = 0) -> str:
    array = np.random.default_rng(seed).integers(0, 255, (height, width, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, "PNG")
    return buffer.getvalue().hex()


REQUESTS = {
    "good": {"signature": "serving_default", "bytes": [png(20, 20, i) for i in range(3)]},
    "too_many": {"signature": "serving_default", "bytes": [png(20, 20, i) for i in range(4)]},
    "request_pixels": {"signature": "serving_default", "bytes": [png(90, 90, 1), png(90, 90, 2)]},
    "image_pixels": {"signature": "serving_default", "bytes": [png(20, 20), png(100, 101)]},
    "wrapping_header": {"signature": "serving_default", "bytes": [png_claiming(2**32 - 1, 2**32 - 1).hex()]},
    "empty_bytes": {"signature": "serving_default", "bytes": []},
    "empty_images": {"signature": "serving_images", "images": [[0, 40, 40, 3], 0.0]},
    "nan": {"signature": "serving_images", "images": [[1, 40, 40, 3], float("nan")]},
    "inf": {"signature": "serving_images", "images": [[1, 40, 40, 3], float("inf")]},
    "float_too_many": {"signature": "serving_images", "images": [[4, 10, 10, 3], 100.0]},
    "float_image_pixels": {"signature": "serving_images", "images": [[1, 101, 100, 3], 100.0]},
    "float_request_pixels": {"signature": "serving_images", "images": [[2, 90, 90, 3], 100.0]},
    "float_good": {"signature": "serving_images", "images": [[3, 40, 50, 3], 128.0]},
}


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    from artzoo.config import HeadConfig, ModelConfig
    from artzoo.export.saved_model import HeadSpec, ServingSpec, export_saved_model
    from artzoo.models.classifier import build_classifier

    root = tmp_path_factory.mktemp("bounds")
    classes = {"style": ["a", "b", "c"], "tags": ["x", "y"]}
    heads = (HeadConfig(name="style"), HeadConfig(name="tags", type="sigmoid"))
    model = build_classifier(ModelConfig(backbone="cnn3", weights="none", heads=heads), classes, 32)
    spec = ServingSpec([HeadSpec("style", classes["style"]), HeadSpec("tags", classes["tags"], "sigmoid")],
                       image_size=32, **LIMITS)
    version = export_saved_model(model, spec, root / "style")
    (root / "requests.json").write_text(json.dumps(REQUESTS))
    result = subprocess.run([sys.executable, str(SCRIPT), str(version), str(root / "requests.json"),
                             str(root / "out.json")], capture_output=True, text=True, timeout=600,
                            env={"PATH": "/usr/bin:/bin", "TF_CPP_MIN_LOG_LEVEL": "2"})  # no PYTHONPATH: no artzoo
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads((root / "out.json").read_text())


def test_the_serving_process_never_imported_artzoo(served):
    assert served["artzoo_modules"] == []


def test_good_requests_pass_and_a_later_request_is_unaffected(served):
    assert served["good"]["outputs"]["style_probabilities"] == [[3, 3], "float32"]
    assert served["float_good"]["outputs"]["tags_decisions"] == [[3, 2], "bool"]
    assert served["repeat_of_first"]["scores"] == served["good"]["scores"]


@pytest.mark.parametrize("name, message", [
    ("too_many", "image_bytes: 4 images exceed the limit of 3 images per request"),
    ("request_pixels", "image_bytes: 16200 pixels in all exceed the limit of 15000 pixels per request"),
    ("image_pixels", "image_bytes[1]: 100x101 pixels exceed the limit of 10000 pixels"),
    ("wrapping_header", "image_bytes[0]: 4294967295x4294967295 pixels exceed the limit of 10000 pixels"),
    ("nan", "images: pixel values must be finite numbers (NaN or infinity found)"),
    ("inf", "images: pixel values must be finite numbers (NaN or infinity found)"),
    ("float_too_many", "images: 4 images exceed the limit of 3 images per request"),
    ("float_image_pixels", "images: 100x101 pixels; expected 1 to 10000 pixels per image"),
    ("float_request_pixels", "images: 16200 pixels in all exceed the limit of 15000 pixels per request"),
])
def test_each_bound_is_an_invalid_argument_naming_the_limit(served, name, message):
    assert "error" in served[name], served[name]
    assert message in served[name]["error"]


@pytest.mark.parametrize("name", ["empty_bytes", "empty_images"])
def test_an_empty_batch_gets_empty_outputs_of_every_head(served, name):
    assert served[name]["outputs"] == {
        "style_probabilities": [[0, 3], "float32"], "style_top_k_ids": [[0, 3], "int32"],
        "style_top_k_labels": [[0, 3], "string"], "style_top_k_scores": [[0, 3], "float32"],
        "tags_decisions": [[0, 2], "bool"], "tags_probabilities": [[0, 2], "float32"],
        "tags_top_k_ids": [[0, 2], "int32"], "tags_top_k_labels": [[0, 2], "string"],
        "tags_top_k_scores": [[0, 2], "float32"],
    }


def test_default_limits_follow_the_model_input():
    from artzoo.export.serving_spec import HeadSpec, ServingSpec

    def limits(size):
        spec = ServingSpec([HeadSpec("h", ["a", "b"])], image_size=size)
        return spec.max_pixels, spec.max_request_pixels, spec.max_batch

    assert limits(224) == (256 * 224 * 224, 4 * 256 * 224 * 224, 32)  # 12.8 Mpx: a 12 Mpx photo passes
    assert limits(32) == (4_000_000, 16_000_000, 32)
    assert limits(512) == (40_000_000, 160_000_000, 32)
