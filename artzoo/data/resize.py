"""Decoding and resizing in TensorFlow ops only, shared by the training pipeline and exported signatures
(so a served model sees pixels prepared exactly as in training)."""

from __future__ import annotations

import tensorflow as tf

RESIZE_MODES = ("squash", "crop", "pad", "trim")


def decode_rgb(image_bytes: tf.Tensor) -> tf.Tensor:
    """Decodes JPEG/PNG/GIF/BMP bytes to a uint8 (H, W, 3) tensor (first frame of animations)."""
    image = tf.io.decode_image(image_bytes, channels=3, expand_animations=False)
    image.set_shape([None, None, 3])
    return image


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
