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
    _, checks = _size_checks(image_bytes, index, max_bytes, max_pixels)
    with tf.control_dependencies(checks):
        return decode_rgb(image_bytes)


def checked_size(image_bytes: tf.Tensor, index: tf.Tensor, max_bytes: int, max_pixels: int) -> tf.Tensor:
    """[width, height] (int64) of one encoded image, from its header, available only once the image passed
    the byte, format and pixel checks of `bounded_decode` (nothing is decoded)."""
    size, checks = _size_checks(image_bytes, index, max_bytes, max_pixels)
    with tf.control_dependencies(checks):
        return tf.identity(size)


def within_pixels(width: tf.Tensor, height: tf.Tensor, max_pixels: int) -> tf.Tensor:
    """width x height <= max_pixels without trusting the product: each side is bounded first, so a header
    claiming 2^32 x 2^32 (which wraps around in int64) cannot pass."""
    return tf.logical_and(tf.logical_and(width <= max_pixels, height <= max_pixels), width * height <= max_pixels)


def _size_checks(image_bytes, index, max_bytes: int, max_pixels: int):
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
            within_pixels(width, height, max_pixels),
            [tf.strings.join([where, tf.strings.format("{}x{}", (width, height)),
                              f" pixels exceed the limit of {max_pixels} pixels"])],
        )
    return tf.stack([width, height]), [check_bytes, check_format, check_pixels]


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


def request_checks(image_bytes: tf.Tensor, max_batch: int, max_bytes: int, max_pixels: int,
                   max_request_pixels: int) -> list[tf.Operation]:
    """Asserts over a whole `serving_default` request, all from headers, before anything is decoded: at most
    `max_batch` images, each within `bounded_decode`'s limits, and at most `max_request_pixels` in all."""
    count = tf.shape(image_bytes, out_type=tf.int64)[0]
    check_batch = tf.debugging.Assert(count <= max_batch, [tf.strings.format(
        "image_bytes: {} images exceed the limit of " + f"{max_batch} images per request", count)])
    with tf.control_dependencies([check_batch]):
        sizes = tf.map_fn(lambda item: checked_size(item[0], item[1], max_bytes, max_pixels),
                          (image_bytes, tf.range(count)), fn_output_signature=tf.TensorSpec([2], tf.int64))
    total = tf.reduce_sum(sizes[:, 0] * sizes[:, 1])  # each product <= max_pixels: no overflow
    check_total = tf.debugging.Assert(total <= max_request_pixels, [tf.strings.format(
        "image_bytes: {} pixels in all exceed the limit of " + f"{max_request_pixels} pixels per request", total)])
    return [check_batch, check_total]


def pixel_checks(images: tf.Tensor, max_batch: int, max_pixels: int, max_request_pixels: int) -> list[tf.Operation]:
    """Asserts over a `serving_images` request (float32 [batch, H, W, 3]): the same batch and pixel bounds as
    `request_checks`, non-empty images, then finite pixel values (NaN or inf would give NaN probabilities)."""
    shape = tf.shape(images, out_type=tf.int64)
    count, height, width = shape[0], shape[1], shape[2]
    check_batch = tf.debugging.Assert(count <= max_batch, [tf.strings.format(
        "images: {} images exceed the limit of " + f"{max_batch} images per request", count)])
    check_size = tf.debugging.Assert(
        tf.logical_or(count == 0, tf.logical_and(within_pixels(width, height, max_pixels), width * height > 0)),
        [tf.strings.format("images: {}x{} pixels; expected 1 to " + f"{max_pixels} pixels per image", (width, height))])
    with tf.control_dependencies([check_batch, check_size]):
        check_total = tf.debugging.Assert(count * width * height <= max_request_pixels, [tf.strings.format(
            "images: {} pixels in all exceed the limit of " + f"{max_request_pixels} pixels per request",
            count * width * height)])
    with tf.control_dependencies([check_total]):
        check_finite = tf.debugging.Assert(tf.reduce_all(tf.math.is_finite(images)), [
            "images: pixel values must be finite numbers (NaN or infinity found)"])
    return [check_batch, check_size, check_total, check_finite]
