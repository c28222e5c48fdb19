"""The problem files real collections hold, made by the tests themselves, with what validation must do.

`make_problem_images(folder)` writes them and returns {file name: Expected}. Expected.outcome is "kept"
(with a fix the cleaned image must report, or "" for bytes kept as they are), "rejected" (with a phrase of
the reason) or "duplicate".
"""

from __future__ import annotations

import io
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from tfds_builders.dummy_images import NOT_AN_IMAGE, tiny_jpeg, tiny_png


@dataclass(frozen=True)
class Expected:
    outcome: str  # kept | rejected | duplicate
    phrase: str = ""  # a fix (kept) or a reason (rejected) that must appear


def encode(image: Image.Image, fmt: str, **kwargs) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt, **kwargs)
    return out.getvalue()


def gradient(size=(40, 30), seed=0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    w, h = size
    x = np.linspace(0, 255, w)[None, :, None]
    return np.clip(x + rng.integers(0, 40, (h, w, 3)), 0, 255).astype(np.uint8)


def exif_rotated_jpeg(orientation: int = 6) -> bytes:
    """40x20 stored pixels, left half red, right half blue, with an EXIF orientation tag."""
    pixels = np.zeros((20, 40, 3), np.uint8)
    pixels[:, :20] = (255, 0, 0)
    pixels[:, 20:] = (0, 0, 255)
    exif = Image.Exif()
    exif[0x0112] = orientation
    return encode(Image.fromarray(pixels), "JPEG", quality=95, exif=exif.tobytes())


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose IHDR declares a huge RGB image and whose IDAT holds a few bytes (a bomb's header)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", idat) + _png_chunk(b"IEND", b"")


def sixteen_bit_gray_png(values=(0, 25700, 65535)) -> bytes:
    """Three flat vertical bands of 16-bit gray levels (8-bit equivalents 0, 100, 255)."""
    array = np.zeros((24, 48), np.uint16)
    for i, v in enumerate(values):
        array[:, i * 16:(i + 1) * 16] = v
    return encode(Image.fromarray(array), "PNG")


def sixteen_bit_rgb_png() -> bytes:
    array = np.zeros((16, 16, 3), np.uint16)
    array[..., 2] = 51400  # red in OpenCV's BGR order: 51400 / 257 = 200
    ok, buf = cv2.imencode(".png", array)
    assert ok
    return buf.tobytes()


def alpha_png() -> bytes:
    """Left half fully transparent black, right half half-transparent red."""
    rgba = np.zeros((20, 40, 4), np.uint8)
    rgba[:, 20:] = (255, 0, 0, 128)
    return encode(Image.fromarray(rgba, "RGBA"), "PNG")


def cmyk_jpeg() -> bytes:
    cmyk = np.zeros((16, 16, 4), np.uint8)
    cmyk[..., 0] = 255  # pure cyan
    return encode(Image.fromarray(cmyk, "CMYK"), "JPEG", quality=95)


def animated_gif() -> bytes:
    frames = [Image.fromarray(gradient(seed=s)).convert("P") for s in (1, 2)]
    return encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100)


def truncated_jpeg() -> bytes:
    whole = encode(Image.fromarray(gradient((64, 64), seed=3)), "JPEG", quality=90)
    return whole[: len(whole) * 6 // 10]


def make_problem_images(folder: Path) -> dict[str, Expected]:
    folder.mkdir(parents=True, exist_ok=True)
    files = {
        "good_0.jpg": (tiny_jpeg(900), Expected("kept")),
        "good_1.jpg": (tiny_jpeg(901), Expected("kept")),
        "good.png": (tiny_png(902), Expected("kept")),
        "truncated.jpg": (truncated_jpeg(), Expected("rejected", "truncated")),
        "webp_named.jpg": (encode(Image.fromarray(gradient(seed=4)), "WEBP"), Expected("kept", "WEBP content")),
        "cmyk.jpg": (cmyk_jpeg(), Expected("kept", "CMYK converted")),
        "gray.jpg": (encode(Image.fromarray(gradient(seed=5)[..., 0]), "JPEG"), Expected("kept", "L converted")),
        "alpha.png": (alpha_png(), Expected("kept", "alpha composited on white")),
        "gray16.png": (sixteen_bit_gray_png(), Expected("kept", "scaled to 8-bit")),
        "rgb16.png": (sixteen_bit_rgb_png(), Expected("kept", "16-bit RGB reduced")),
        "animated.gif": (animated_gif(), Expected("kept", "first frame of 2")),
        "scan.tif": (encode(Image.fromarray(gradient(seed=6)), "TIFF"), Expected("kept", "TIFF content")),
        "paint.bmp": (encode(Image.fromarray(gradient(seed=7)), "BMP"), Expected("kept", "BMP content")),
        "empty.jpg": (b"", Expected("rejected", "empty file")),
        "page.jpg": (NOT_AN_IMAGE, Expected("rejected", "not an image")),
        "bomb.png": (png_header_only(100_000, 100_000), Expected("rejected", "exceeds the limit")),
        "rotated.jpg": (exif_rotated_jpeg(), Expected("kept", "EXIF orientation applied")),
        "z_copy_of_good_0.jpg": (tiny_jpeg(900), Expected("duplicate")),
    }
    for name, (data, _) in files.items():
        (folder / name).write_bytes(data)
    return {name: expected for name, (_, expected) in files.items()}
