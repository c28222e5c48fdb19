"""Turns whatever bytes a collection holds into a clean RGB image, or says exactly why it cannot.

Used inside every builder's `_generate_examples` (TFDS `Image` features store the bytes they are given
without checking them). Handles, by content rather than file name: JPEG/PNG/WEBP/GIF/TIFF/BMP, EXIF
orientation, CMYK / grayscale / palette / 16-bit modes, alpha (composited on white), animations (first
frame), and a decompression-bomb guard read from the header before any pixel is decoded.

Thread-safe: nothing here changes Pillow's global settings, so builders may validate in a thread pool.
Rejection reasons never quote a file's bytes (they end up in quarantine manifests).
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass, field

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

DEFAULT_MAX_PIXELS = 40_000_000  # about 6300 x 6300; bigger art scans should be downsized first
JPEG_QUALITY = 95
_SIXTEEN_BIT_MODES = ("I;16", "I;16B", "I;16L", "I;16N", "I", "F")
_ALPHA_MODES = ("RGBA", "LA", "PA", "RGBa", "La")
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_RGB8 = (8, 2)  # IHDR bit depth 8, colour type 2 (truecolour, no alpha)

# Our own pixel limit (which names the limit in its reason) is checked right after the header is read;
# Pillow's warning for images between its limit and twice that would only duplicate it. Images over twice
# Pillow's limit make Pillow raise, which is turned into the same rejection below.
warnings.filterwarnings("ignore", category=Image.DecompressionBombWarning)


class RejectedImage(Exception):
    """The bytes cannot be made into a clean RGB image; `str(err)` is the reason."""


@dataclass
class CleanImage:
    """A validated image: JPEG or PNG bytes ready for a TFDS `Image` feature, plus what was done to it."""

    data: bytes
    width: int
    height: int
    sha256: str  # of the original bytes, for duplicate detection
    source_format: str
    fixes: list[str] = field(default_factory=list)

    @property
    def encoding(self) -> str:
        return "png" if self.data.startswith(_PNG_SIGNATURE) else "jpeg"


def content_hash(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def clean_image(raw: bytes, max_pixels: int = DEFAULT_MAX_PIXELS) -> CleanImage:
    """Validates and normalises encoded image bytes.

    Returns the original bytes when they already are an 8-bit RGB JPEG or PNG needing no fix (a PNG stays
    lossless), otherwise a re-encoded JPEG (quality 95). Raises `RejectedImage` with a one-line reason.
    """
    if not raw:
        raise RejectedImage("empty file (0 bytes)")
    image = _open(raw, max_pixels)
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
    if source_format not in ("JPEG", "PNG"):
        fixes.append(f"{source_format} content")
    elif source_format == "PNG" and _png_depth_and_colour(raw) != _PNG_RGB8 and image.mode == "RGB":
        fixes.append("16-bit RGB reduced to 8-bit")
    if _has_orientation(image):
        image = ImageOps.exif_transpose(image)
        fixes.append("EXIF orientation applied")
    image = _to_rgb(image, fixes)
    if not fixes and image.mode == "RGB":
        return CleanImage(raw, width, height, content_hash(raw), source_format)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=JPEG_QUALITY)
    return CleanImage(out.getvalue(), image.width, image.height, content_hash(raw), source_format, fixes)


def _open(raw: bytes, max_pixels: int) -> Image.Image:
    try:
        return Image.open(io.BytesIO(raw))
    except Image.DecompressionBombError as err:
        raise RejectedImage(f"pixel count exceeds the limit of {max_pixels} ({err})") from None
    except UnidentifiedImageError:
        head = raw[:16]
        kind = "text" if all(32 <= b < 127 or b in (9, 10, 13) for b in head) else "binary"
        raise RejectedImage(f"not an image: unrecognised {kind} content ({len(raw)} bytes)") from None
    except Exception as err:  # noqa: BLE001 - any decoder failure is a reason to quarantine
        # Only the error's type: some of Pillow's header messages quote the bytes they could not parse.
        raise RejectedImage(f"unreadable image header ({type(err).__name__})") from None


def _load_pixels(image: Image.Image) -> None:
    # Relies on Pillow's default ImageFile.LOAD_TRUNCATED_IMAGES = False, so truncated data raises here.
    try:
        image.load()
    except Exception as err:  # noqa: BLE001
        raise RejectedImage(f"truncated or corrupt {image.format or 'image'} data ({_safe_reason(err)})") from None


def _safe_reason(err: Exception) -> str:
    """Pillow's message when it cannot quote file content (no quotes, no bytes), else only the error's type:
    quarantine records never echo what a file holds."""
    text = str(err)
    if len(text) <= 100 and text.isprintable() and not any(q in text for q in "'\"`"):
        return text
    return type(err).__name__


def _png_depth_and_colour(raw: bytes) -> tuple[int, int]:
    """Bit depth and colour type from the PNG IHDR chunk (Pillow opens 16-bit RGB as 8-bit "RGB")."""
    if not raw.startswith(_PNG_SIGNATURE) or len(raw) < 26:
        return (0, 0)
    return (raw[24], raw[25])


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
        array = np.clip(np.round(array * scale), 0, 255).astype(np.uint8)
        fixes.append(f"{mode} (high bit depth) scaled to 8-bit")
        return Image.fromarray(array, mode="L").convert("RGB")
    if mode == "P" or (mode in ("RGB", "L") and image.info.get("transparency") is not None):
        image = image.convert("RGBA")
        fixes.append(f"{mode} with palette or transparency converted")
        mode = "RGBA"
    if mode in _ALPHA_MODES:
        rgba = image.convert("RGBA")
        if rgba.getchannel("A").getextrema() != (255, 255):
            fixes.append("alpha composited on white")
        else:
            fixes.append("opaque alpha channel dropped")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    if mode != "RGB":
        fixes.append(f"{mode} converted to RGB")
        return image.convert("RGB")
    return image
