"""Decoding untrusted image bytes with bounds checked first: byte size, format, and the pixel count read from
the file header, so an oversized or lying image fails with a clear InvalidArgument message before the decoder
allocates anything.

Accepted formats are exactly those whose decoding cost the header bounds: JPEG, PNG, BMP and WebP
(`tf.io.decode_image` would also decode JPEG XL, whose size is not read here). GIF is refused with its own
message: TensorFlow's GIF decoder (giflib's DGifSlurp) decompresses every frame, each at the size its own
descriptor declares, even when only the first frame is returned; a 0.5 MB animation of 300 frames of
1000x1000 took 8.7 s and 1.4 GB here. Bounding that needs a walk over every GIF block, which took 13x the
decode time of a 5 MB still GIF. Animated WebP is refused by TensorFlow itself for 3-channel decoding.
"""

from __future__ import annotations

import tensorflow as tf

from artzoo.data.resize import decode_rgb, resize_image

FORMATS = "JPEG, PNG, BMP or WebP"
UNKNOWN = -1  # a header that does not state its size (made a tensor inside the traced graph)
_HEADER_BYTES = 32


def model_pixels(image: tf.Tensor, size: int, resize: str) -> tf.Tensor:
    """Float32 (size, size, 3) pixels exactly as training saw them: resized, then rounded (the training
    pipeline caches resized images as uint8)."""
    return tf.round(resize_image(image, size, resize))


def bounded_decode(image_bytes: tf.Tensor, index: tf.Tensor, max_bytes: int, max_pixels: int) -> tf.Tensor:
    """Decodes one encoded image to uint8 (H, W, 3) after checking its size, format and pixel count.

    Args:
        image_bytes: scalar tf.string.
        index: position in the request batch, named in error messages.
        max_bytes: largest accepted encoded size.
        max_pixels: largest accepted width x height, as declared by the header.
    """
    where = tf.strings.format("image_bytes[{}]: ", index)
    size = tf.cast(tf.strings.length(image_bytes), tf.int64)
    check_bytes = tf.debugging.Assert(
        size <= max_bytes,
        [tf.strings.join([where, tf.strings.as_string(size), f" bytes exceed the limit of {max_bytes} bytes"])],
    )
    with tf.control_dependencies([check_bytes]):
        width, height = header_size(image_bytes)
    is_gif = tf.equal(tf.strings.substr(image_bytes, 0, 3), b"GIF")
    reason = tf.where(is_gif, "GIF is not accepted (its decoder expands every frame of an animation); send PNG",
                      f"not a {FORMATS} image (unknown or truncated header)")
    check_format = tf.debugging.Assert(width >= 0, [tf.strings.join([where, reason])])
    with tf.control_dependencies([check_format]):
        check_pixels = tf.debugging.Assert(
            width * height <= max_pixels,
            [tf.strings.join([where, tf.strings.format("{}x{}", (width, height)),
                              f" pixels exceed the limit of {max_pixels} pixels"])],
        )
    with tf.control_dependencies([check_bytes, check_format, check_pixels]):
        return decode_rgb(image_bytes)


def header_size(image_bytes: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    """(width, height) as int64 from a JPEG, PNG, BMP or WebP header; (-1, -1) for anything else."""
    length = tf.strings.length(image_bytes)
    # The first 32 bytes, zero-padded, so every fixed-offset read below stays in range.
    head = tf.strings.join([tf.strings.substr(image_bytes, 0, _HEADER_BYTES), b"\0" * _HEADER_BYTES])

    def starts(offset: int, magic: bytes) -> tf.Tensor:
        return tf.logical_and(length >= offset + len(magic),
                              tf.equal(tf.strings.substr(head, offset, len(magic)), magic))

    def enough(n: int) -> tf.Tensor:
        return length >= n

    def jpeg():
        shape = tf.cast(tf.io.extract_jpeg_shape(image_bytes), tf.int64)
        return tf.stack([shape[1], shape[0]])

    def png():
        return tf.stack([_uint(head, 16, 4, big_endian=True), _uint(head, 20, 4, big_endian=True)])

    def bmp():  # signed 32-bit; a negative height means top-down rows
        return tf.abs(tf.stack([_int32(head, 18), _int32(head, 22)]))

    size = tf.case(
        [
            (tf.io.is_jpeg(image_bytes), jpeg),
            (starts(0, b"\x89PNG\r\n\x1a\n") & starts(12, b"IHDR") & enough(24), png),
            (starts(0, b"BM") & enough(26), bmp),
            (starts(0, b"RIFF") & starts(8, b"WEBP"), lambda: _webp_size(head, starts, enough)),
        ],
        default=lambda: tf.constant([UNKNOWN, UNKNOWN], tf.int64),
        exclusive=False,
    )
    return size[0], size[1]


def _webp_size(head: tf.Tensor, starts, enough) -> tf.Tensor:
    """Canvas size from the first WebP chunk: VP8 (lossy), VP8L (lossless) or VP8X (extended)."""

    def lossy():  # frame header: 3-byte tag, start code 9d 01 2a, then 14-bit width and height
        return tf.stack([_uint(head, 26, 2) % 16384, _uint(head, 28, 2) % 16384])

    def lossless():  # signature 0x2f, then 14 bits width-1 and 14 bits height-1, little-endian
        bits = _uint(head, 21, 4)
        return tf.stack([bits % 16384 + 1, (bits // 16384) % 16384 + 1])

    def extended():  # 24-bit canvas width-1 and height-1
        return tf.stack([_uint(head, 24, 3) + 1, _uint(head, 27, 3) + 1])

    return tf.case(
        [
            (starts(12, b"VP8 ") & starts(23, b"\x9d\x01\x2a") & enough(30), lossy),
            (starts(12, b"VP8L") & starts(20, b"\x2f") & enough(25), lossless),
            (starts(12, b"VP8X") & enough(30), extended),
        ],
        default=lambda: tf.constant([UNKNOWN, UNKNOWN], tf.int64),
        exclusive=False,
    )


def _uint(head: tf.Tensor, offset: int, n: int, big_endian: bool = False) -> tf.Tensor:
    """Unsigned n-byte integer at `offset` of the padded header."""
    b = tf.cast(tf.io.decode_raw(tf.strings.substr(head, offset, n), tf.uint8), tf.int64)
    value = tf.constant(0, tf.int64)
    order = range(n) if big_endian else reversed(range(n))
    for i in order:
        value = value * 256 + b[i]
    return value


def _int32(head: tf.Tensor, offset: int) -> tf.Tensor:
    value = _uint(head, offset, 4)
    return tf.where(value >= 2**31, value - 2**32, value)
