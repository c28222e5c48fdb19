"""Decoding and resizing in TensorFlow ops only, shared by the training pipeline and exported signatures
(so a served model sees pixels prepared exactly as in training, with data.decode "full", the default).

`model_input` is the one entry for pipelines (training, evaluation, embedding); exports decode in full with
`decode_rgb`, because their `serving_images` signature, fed pixels a client decoded, must answer as
`serving_default` does for the same file."""

from __future__ import annotations

import tensorflow as tf

RESIZE_MODES = ("squash", "crop", "pad", "trim")
# How a JPEG is decoded for a model of a given input size: "scaled" lets libjpeg's DCT produce 1/2, 1/4 or 1/8
# of the image directly (the largest ratio whose result still covers the model's input), "full" decodes every
# pixel. Other formats are always decoded in full. bench/decode_quality.py measures what "scaled" changes.
DECODES = ("scaled", "full")
JPEG_RATIOS = (8, 4, 2)  # what tf.io.decode_jpeg's `ratio` accepts besides 1


def decode_rgb(image_bytes: tf.Tensor) -> tf.Tensor:
    """Decodes JPEG/PNG/GIF/BMP bytes to a uint8 (H, W, 3) tensor (first frame of animations)."""
    image = tf.io.decode_image(image_bytes, channels=3, expand_animations=False)
    image.set_shape([None, None, 3])
    return image


def decode_for_size(image_bytes: tf.Tensor, size: int, resize: str = "squash", decode: str = "scaled") -> tf.Tensor:
    """Decodes to a uint8 (H, W, 3) tensor at least as large as `resize_image` needs for `size`: with
    decode "scaled", a JPEG whose side used by `resize` (the long side for "pad", else the short one) is at least
    twice `size` is decoded at the largest DCT ratio (1/2, 1/4, 1/8) keeping that side >= `size`."""
    if decode == "full" or resize == "trim":  # trim's side is known only after the bars are cut: decode whole
        return decode_rgb(image_bytes)
    if decode != "scaled":
        raise ValueError(f"decode {decode!r} is not one of {DECODES}")

    def scaled_jpeg():
        shape = tf.io.extract_jpeg_shape(image_bytes)
        side = tf.reduce_max(shape[:2]) if resize == "pad" else tf.reduce_min(shape[:2])
        branches = [(side // r >= size, lambda r=r: tf.io.decode_jpeg(image_bytes, channels=3, ratio=r))
                    for r in JPEG_RATIOS]
        return tf.case(branches, default=lambda: tf.io.decode_jpeg(image_bytes, channels=3), exclusive=False)

    image = tf.cond(tf.io.is_jpeg(image_bytes), scaled_jpeg, lambda: decode_rgb(image_bytes))
    image.set_shape([None, None, 3])
    return image


def model_input(image_bytes: tf.Tensor, size: int, resize: str = "squash", decode: str = "scaled") -> tf.Tensor:
    """Encoded bytes to the (size, size, 3) float32 whole-number pixels a model takes: `decode_for_size`, then
    `resize_image`. Every place that decodes images for a model goes through here (or `decode_for_size`)."""
    return resize_image(decode_for_size(image_bytes, size, resize, decode), size, resize)


def resize_image(image: tf.Tensor, size: int, mode: str = "squash") -> tf.Tensor:
    """Resizes to (size, size, 3) float32 holding whole numbers in [0, 255].

    Rounded so that the training pipeline (which caches uint8) and exported signatures feed the model
    exactly the same pixels.

    Modes: "squash" ignores the aspect ratio; "crop" takes the central square first; "pad" keeps the whole
    image and pads the short side with black; "trim" cuts off black bars first (an image padded to a square,
    see `artzoo.data.border_trim`), then squashes the painting to the square.
    """
    if mode == "trim":
        from artzoo.data.border_trim import trim_border

        image = trim_border(image)
    image = tf.cast(image, tf.float32)
    if mode == "crop":
        shape = tf.shape(image)
        side = tf.minimum(shape[0], shape[1])
        top = (shape[0] - side) // 2
        left = (shape[1] - side) // 2
        image = tf.image.crop_to_bounding_box(image, top, left, side, side)
    if mode == "pad":
        image = tf.image.resize_with_pad(image, size, size, antialias=True)
    else:
        image = tf.image.resize(image, (size, size), antialias=True)
    return tf.round(tf.clip_by_value(image, 0.0, 255.0))
