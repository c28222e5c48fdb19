"""Cutting off the black bars of an image that was padded to a square (WikiArt-224's preprocessing) so the model
sees the painting at full resolution, not shrunk by a quarter of black.

TensorFlow ops only: the training pipeline and exported signatures (via `artzoo.data.resize`) share it.
"""

from __future__ import annotations

import tensorflow as tf

# A row (column) is border while the mean over it of each pixel's brightest channel stays at or below this
# (0..255). The padded WikiArt files have 0 in the bars and under ~12 in the JPEG ringing next to the painting;
# a dark painting's own darkest row rarely averages this low over its whole width.
BORDER_LEVEL = 8.0


def trim_border(image: tf.Tensor, level: float = BORDER_LEVEL) -> tf.Tensor:
    """The smallest box of `image` (H, W, 3) holding every row and column brighter than `level` on average.

    An image with no such row (all black) is returned whole. Rows and columns are judged over the full image,
    so only whole bars at the edges are removed, never dark areas inside the painting.
    """
    bright = tf.reduce_max(tf.cast(image, tf.float32), axis=-1)
    rows = tf.where(tf.reduce_mean(bright, axis=1) > level)[:, 0]
    cols = tf.where(tf.reduce_mean(bright, axis=0) > level)[:, 0]

    def crop():
        top, bottom = tf.reduce_min(rows), tf.reduce_max(rows)
        left, right = tf.reduce_min(cols), tf.reduce_max(cols)
        return image[top:bottom + 1, left:right + 1]

    return tf.cond(tf.logical_and(tf.size(rows) > 0, tf.size(cols) > 0), crop, lambda: image)
