"""Header-based bounds: sizes read without decoding for every accepted format, and lying headers rejected
before the decoder runs (the decoder would report a different error if it ran first)."""

import functools
import io
import struct
import zlib

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from artzoo.export.bounded_decode import bounded_decode, header_size

HEADER = tf.function(header_size, input_signature=[tf.TensorSpec([], tf.string)])


def encode(array: np.ndarray, fmt: str, **kwargs) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, fmt, **kwargs)
    return buffer.getvalue()


@functools.cache
def _decoder(max_bytes: int, max_pixels: int):
    return tf.function(lambda b: bounded_decode(b, tf.constant(3, tf.int64), max_bytes, max_pixels),
                       input_signature=[tf.TensorSpec([], tf.string)])


def decode(data: bytes, max_bytes=10_000_000, max_pixels=1_000_000):
    return _decoder(max_bytes, max_pixels)(tf.constant(data))


def error_of(data: bytes, **limits) -> str:
    with pytest.raises(tf.errors.InvalidArgumentError) as err:
        decode(data, **limits)
    return err.value.message


@pytest.mark.parametrize("fmt, options", [
    ("JPEG", {}), ("PNG", {}), ("BMP", {}),
    ("WEBP", {}), ("WEBP", {"lossless": True}), ("WEBP", {"exif": b"Exif\x00\x00II"}),
])
def test_header_size_matches_the_decoded_image(fmt, options):
    array = np.random.default_rng(0).integers(0, 255, (37, 61, 3), dtype=np.uint8)
    data = encode(array, fmt, **options)
    width, height = HEADER(tf.constant(data))
    assert (int(width), int(height)) == (61, 37)
    assert decode(data).shape == (37, 61, 3)


def png_claiming(width: int, height: int) -> bytes:
    """A PNG whose IHDR claims `width x height` but whose pixel data is a few zero bytes."""
    def chunk(kind, payload):
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64))
            + chunk(b"IEND", b""))


def jpeg_claiming(width: int, height: int) -> bytes:
    """An 8x8 baseline JPEG whose SOF0 marker is patched to claim `width x height`."""
    data = bytearray(encode(np.zeros((8, 8, 3), np.uint8), "JPEG"))
    sof = data.index(b"\xff\xc0")
    data[sof + 5:sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def webp_claiming(width: int, height: int) -> bytes:
    """An extended (VP8X) WebP whose canvas claims `width x height`."""
    data = bytearray(encode(np.zeros((8, 8, 3), np.uint8), "WEBP", exif=b"Exif\x00\x00II"))
    data[24:27] = (width - 1).to_bytes(3, "little")
    data[27:30] = (height - 1).to_bytes(3, "little")
    return bytes(data)


@pytest.mark.parametrize("make", [png_claiming, jpeg_claiming, webp_claiming])
def test_a_lying_header_is_rejected_before_decoding(make):
    # Within the limit the decoder runs and fails (or pads) on the missing data; above it, the bound fires first.
    small = make(900, 900)
    try:
        decode(small)
        small_error = ""
    except tf.errors.InvalidArgumentError as err:
        small_error = err.message
    assert "pixels exceed" not in small_error
    message = error_of(make(2000, 2000))
    assert "image_bytes[3]: 2000x2000 pixels exceed the limit of 1000000 pixels" in message


def test_oversized_bytes_and_unknown_formats_are_named():
    jpeg = encode(np.zeros((8, 8, 3), np.uint8), "JPEG")
    assert "image_bytes[3]: " + str(len(jpeg)) + " bytes exceed the limit of 100 bytes" in error_of(jpeg, max_bytes=100)
    jpeg_xl = b"\xff\x0a" + bytes(40)  # tf.io.decode_image would decode JPEG XL, whose size is not bounded here
    for data in (b"", b"\x89PNG", b"not an image at all", jpeg_xl, encode(np.zeros((8, 8, 3), np.uint8), "TIFF")):
        assert "image_bytes[3]: not a JPEG, PNG, BMP or WebP image (unknown or truncated header)" in error_of(data)


def test_gif_is_refused_with_its_reason():
    frames = [Image.fromarray(np.full((64, 64, 3), 40 * i, np.uint8)) for i in range(3)]
    buffer = io.BytesIO()
    frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:])
    for data in (buffer.getvalue(), encode(np.zeros((8, 8, 3), np.uint8), "GIF")):
        assert ("image_bytes[3]: GIF is not accepted (its decoder expands every frame of an animation); send PNG"
                in error_of(data))


def test_the_decoder_waits_for_every_check():
    """In the graph, DecodeImage has the three asserts (bytes, format, pixels) as control inputs, so it cannot
    start before they pass; without that, a lying header would reach the decoder (race, not order)."""
    graph = _decoder(100, 100).get_concrete_function().graph
    (decode_op,) = [op for op in graph.get_operations() if op.type == "DecodeImage"]
    asserts = {op.name for op in graph.get_operations() if op.type == "Assert"}
    assert len(asserts) == 3
    assert {op.name for op in decode_op.control_inputs} == asserts


def test_a_header_whose_pixel_count_wraps_around_int64_is_rejected():
    # 4294967295 x 4294967295 does not fit in int64: the product wraps to a negative number, which a check of
    # the product alone would let through to the decoder. Each side is bounded first.
    side = tf.constant(2**32 - 1, tf.int64)
    assert int(side * side) < 0
    message = error_of(png_claiming(2**32 - 1, 2**32 - 1))
    assert "image_bytes[3]: 4294967295x4294967295 pixels exceed the limit of 1000000 pixels" in message
    assert "pixels exceed" in error_of(png_claiming(2**32 - 1, 1))
    assert "pixels exceed" in error_of(png_claiming(1, 2**31))
