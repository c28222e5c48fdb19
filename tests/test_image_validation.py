"""clean_image on the problem files real collections hold: pixel-level checks of what it fixes, and the
reason it gives for what it rejects."""

import io

import numpy as np
import pytest
from PIL import Image

from problem_images import (alpha_png, cmyk_jpeg, exif_rotated_jpeg, make_problem_images, png_header_only,
                            sixteen_bit_gray_png, sixteen_bit_rgb_png)
from tfds_builders.dummy_images import tiny_jpeg, tiny_png
from tfds_builders.image_validation import RejectedImage, clean_image


def pixels(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB")).astype(int)


def test_every_problem_file_is_fixed_or_rejected_with_its_reason(tmp_path):
    expected = make_problem_images(tmp_path)
    for name, want in expected.items():
        raw = (tmp_path / name).read_bytes()
        if want.outcome == "rejected":
            with pytest.raises(RejectedImage, match=want.phrase):
                clean_image(raw)
            continue
        image = clean_image(raw)
        decoded = Image.open(io.BytesIO(image.data))
        assert decoded.mode == "RGB" and decoded.format in ("JPEG", "PNG"), name
        assert decoded.size == (image.width, image.height), name
        if want.phrase:
            assert any(want.phrase in fix for fix in image.fixes), (name, image.fixes)
        else:
            assert image.fixes == [] and image.data == raw, name  # clean files are kept byte for byte


def test_alpha_is_composited_on_white():
    image = clean_image(alpha_png())
    rgb = pixels(image.data)
    transparent, half_red = rgb[4:16, 2:16], rgb[4:16, 24:38]
    assert np.abs(transparent - 255).max() <= 3  # fully transparent black shows the white background
    assert np.abs(half_red - [255, 127, 127]).max() <= 4  # 50 % red over white


def test_exif_orientation_really_rotates():
    image = clean_image(exif_rotated_jpeg(orientation=6))
    assert (image.width, image.height) == (20, 40)  # stored 40x20, displayed rotated 90 degrees clockwise
    rgb = pixels(image.data)
    top, bottom = rgb[4:16].reshape(-1, 3).mean(axis=0), rgb[24:36].reshape(-1, 3).mean(axis=0)
    assert top[0] > 200 and top[2] < 60  # the stored left (red) half is now on top
    assert bottom[2] > 200 and bottom[0] < 60
    assert Image.open(io.BytesIO(image.data)).getexif().get(0x0112) is None  # no tag left to rotate it twice


def test_sixteen_bit_gray_is_scaled_not_clipped():
    rgb = pixels(clean_image(sixteen_bit_gray_png((0, 25700, 65535))).data)
    bands = [rgb[4:20, 3 + 16 * i:13 + 16 * i].mean() for i in range(3)]
    assert bands == pytest.approx([0, 100, 255], abs=2)  # 25700 / 65535 * 255 = 100


def test_sixteen_bit_rgb_keeps_its_colour():
    rgb = pixels(clean_image(sixteen_bit_rgb_png()).data)
    assert rgb[..., 0].mean() == pytest.approx(200, abs=2) and rgb[..., 1:].max() <= 3


def test_cmyk_becomes_rgb_with_the_same_colour():
    rgb = pixels(clean_image(cmyk_jpeg()).data)
    assert rgb[..., 0].mean() < 10 and rgb[..., 1].mean() > 245 and rgb[..., 2].mean() > 245  # cyan


def test_pixel_limit_is_checked_before_decoding():
    with pytest.raises(RejectedImage, match=r"24x20 = 480 pixels exceeds the limit of 100"):
        clean_image(tiny_jpeg(0), max_pixels=100)
    # A header declaring 10^10 pixels is refused without allocating them.
    with pytest.raises(RejectedImage, match="exceeds the limit of 40000000"):
        clean_image(png_header_only(100_000, 100_000))
    assert Image.MAX_IMAGE_PIXELS is not None  # Pillow's own guard is left as it was


def test_clean_jpeg_and_png_pass_through_unchanged():
    for raw in (tiny_jpeg(3), tiny_png(3)):
        image = clean_image(raw)
        assert image.data == raw and image.fixes == []
    assert clean_image(tiny_png(3)).encoding == "png"
