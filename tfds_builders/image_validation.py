"""Turns whatever bytes a collection holds into a clean RGB image, or says exactly why it cannot.

Used inside every builder's `_generate_examples` (TFDS `Image` features store the bytes they are given
without checking them). Handles, by content rather than file name: JPEG/PNG/WEBP/GIF/TIFF/BMP, EXIF
orientation, CMYK / grayscale / palette / 16-bit modes, alpha (composited on white), animations (first
frame), and a decompression-bomb guard read from the header before any pixel is decoded.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass, field

import numpy as np
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

DEFAULT_MAX_PIXELS = 40_000_000  # about 6300 x 6300; bigger art scans should be downsized first
JPEG_QUALITY = 95
_SIXTEEN_BIT_MODES = ("I;16", "I;16B", "I;16L", "I;16N", "I", "F")


class RejectedImage(Exception):
    """The bytes cannot be made into a clean RGB image; `str(err)` is the reason."""


@dataclass
class CleanImage:
    """A validated image: JPEG bytes ready for a TFDS `Image` feature, plus what was done to it."""

    data: bytes
    width: int
    height: int
    sha256: str  # of the original bytes, for duplicate detection
    source_format: str
    fixes: list[str] = field(default_factory=list)


def content_hash(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def clean_image(raw: bytes, max_pixels: int = DEFAULT_MAX_PIXELS) -> CleanImage:
    """Validates and normalises encoded image bytes.

    Returns the original bytes when they already are a baseline RGB JPEG needing no fix, otherwise a
    re-encoded JPEG (quality 95). Raises `RejectedImage` with a one-line reason otherwise.
    """
    if not raw:
        raise RejectedImage("empty file (0 bytes)")
    image = _open(raw)
    source_format = image.format or "unknown"
    width, height = image.size
    if width * height > max_pixels:
        raise RejectedImage(f"{width}x{height} = {width * height} pixels exceeds the limit of {max_pixels}")
    if width < 1 or height < 1:
        raise RejectedImage(f"degenerate size {width}x{height}")
    fixes: list[str] = []
    if getattr(image, "n_frames", 1) > 1:
        fixes.append(f"first frame of {image.n_frames}")
    _load_pixels(image)
    if source_format != "JPEG":
        fixes.append(f"{source_format} content")
    if _has_orientation(image):
        image = ImageOps.exif_transpose(image)
        fixes.append("EXIF orientation applied")
    image = _to_rgb(image, fixes)
    if not fixes and image.mode == "RGB":
        return CleanImage(raw, width, height, content_hash(raw), source_format)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=JPEG_QUALITY)
    return CleanImage(out.getvalue(), image.width, image.height, content_hash(raw), source_format, fixes)


def _open(raw: bytes) -> Image.Image:
    try:
        with warnings.catch_warnings():
            # PIL's own bomb check is replaced by ours (which names the limit); silence its warning.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            saved = Image.MAX_IMAGE_PIXELS
            Image.MAX_IMAGE_PIXELS = None
            try:
                return Image.open(io.BytesIO(raw))
            finally:
                Image.MAX_IMAGE_PIXELS = saved
    except UnidentifiedImageError:
        head = raw[:16]
        kind = "text" if all(32 <= b < 127 or b in (9, 10, 13) for b in head) else "binary"
        raise RejectedImage(f"not an image: unrecognised {kind} content starting {head[:8]!r}") from None
    except Exception as err:  # noqa: BLE001 - any decoder failure is a reason to quarantine
        raise RejectedImage(f"unreadable header: {type(err).__name__}: {err}") from None


def _load_pixels(image: Image.Image) -> None:
    saved = ImageFile.LOAD_TRUNCATED_IMAGES
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        image.load()
    except Exception as err:  # noqa: BLE001
        raise RejectedImage(f"truncated or corrupt {image.format or 'image'} data: {err}") from None
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = saved


def _has_orientation(image: Image.Image) -> bool:
    try:
        return image.getexif().get(0x0112, 1) not in (1, None)
    except Exception:  # noqa: BLE001 - broken EXIF blocks are ignored, like viewers do
        return False


def _to_rgb(image: Image.Image, fixes: list[str]) -> Image.Image:
    mode = image.mode
    if mode in _SIXTEEN_BIT_MODES:
        array = np.asarray(image, dtype=np.float64)
        scale = 255.0 / 65535.0 if mode != "F" else 255.0 / max(float(array.max()), 1e-12)
        array = np.clip(array * scale, 0, 255).astype(np.uint8)
        fixes.append(f"{mode} (high bit depth) scaled to 8-bit")
        return Image.fromarray(array, mode="L").convert("RGB")
    if mode == "P":
        image = image.convert("RGBA")
        mode = "RGBA"
        fixes.append("palette converted")
    if mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = image.convert("RGBA")
        if rgba.getchannel("A").getextrema() != (255, 255):
            fixes.append("alpha composited on white")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    if mode != "RGB":
        fixes.append(f"{mode} converted to RGB")
        return image.convert("RGB")
    return image
