"""JPEGs decoded at a DCT scale that still covers the model input (`decode_for_size`), and where it is used."""

from __future__ import annotations

import io

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from artzoo.config import load_task_config
from artzoo.data.resize import decode_for_size, decode_rgb, model_input
from artzoo.embeddings.extractor import EmbedderSettings
from artzoo.errors import ArtzooError
from tests.conftest import LOUVRE, requires_shared


def encoded(width: int, height: int, fmt: str = "JPEG") -> bytes:
    rng = np.random.default_rng(width * height)
    pixels = rng.integers(0, 256, (max(height // 32, 2), max(width // 32, 2), 3), dtype=np.uint8)
    image = Image.fromarray(pixels).resize((width, height), Image.BILINEAR)  # smooth, like a photo
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, quality=95)
    return buffer.getvalue()


def decoded_shape(data: bytes, size: int, resize: str = "squash", decode: str = "scaled") -> tuple:
    return tuple(decode_for_size(tf.constant(data), size, resize, decode).shape)


def test_largest_ratio_that_still_covers_the_input_side():
    jpeg = encoded(800, 400)
    assert decoded_shape(jpeg, 100) == (100, 200, 3)  # 1/4: the short side 400 -> 100 still covers 100
    assert decoded_shape(jpeg, 101) == (200, 400, 3)  # 1/4 would leave 100 < 101: 1/2
    assert decoded_shape(jpeg, 50) == (50, 100, 3)  # 1/8
    assert decoded_shape(jpeg, 201) == (400, 800, 3)  # less than twice the side: full decode
    assert decoded_shape(jpeg, 200, "pad") == (100, 200, 3)  # pad scales the long side to the input
    assert decoded_shape(jpeg, 50, decode="full") == (400, 800, 3)


def test_full_decode_and_other_formats_are_unchanged():
    jpeg, png = encoded(640, 480), encoded(640, 480, "PNG")
    for data in (jpeg, png):
        np.testing.assert_array_equal(decode_for_size(tf.constant(data), 1000).numpy(), decode_rgb(data).numpy())
    assert decoded_shape(png, 64) == (480, 640, 3)  # only JPEG has a DCT scale
    webp_named_jpg = encoded(640, 480, "WEBP")  # decided by the bytes, not a file name
    assert decoded_shape(webp_named_jpg, 64) == (480, 640, 3)


def test_scaled_pipeline_is_close_to_full_decode_in_a_tf_data_map():
    jpeg = encoded(512, 512)
    ds = tf.data.Dataset.from_tensor_slices([jpeg, encoded(96, 96, "PNG")])
    scaled = [x.numpy() for x in ds.map(lambda b: model_input(b, 64, "crop", "scaled"))]
    full = [x.numpy() for x in ds.map(lambda b: model_input(b, 64, "crop", "full"))]
    assert scaled[0].shape == (64, 64, 3) and np.array_equal(scaled[1], full[1])
    assert 0 < np.abs(scaled[0] - full[0]).mean() < 3.0  # 1/8 scale differs, but only slightly


@requires_shared(LOUVRE)
def test_real_painting_psnr_against_full_decode():
    data = sorted((LOUVRE / "val").glob("*/*.jpg"))[0].read_bytes()
    scaled, full = model_input(data, 224, decode="scaled").numpy(), model_input(data, 224, decode="full").numpy()
    psnr = 10 * np.log10(255.0 ** 2 / np.mean((scaled - full) ** 2))
    assert 30 < psnr < 80


def test_decode_setting_is_checked():
    with pytest.raises(ArtzooError, match="decode"):
        EmbedderSettings(decode="draft")
    with pytest.raises(ArtzooError, match="data.decode"):
        load_task_config("genre", {"data.decode": "fast"})
    assert load_task_config("genre").data.decode == "full"  # exports decode in full: training matches them
    assert EmbedderSettings().decode == "scaled"
