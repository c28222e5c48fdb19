"""Black-bar trimming (`data.resize: trim`): padded squares lose their bars, dark paintings keep their dark parts."""

import numpy as np
import tensorflow as tf

from artzoo.data.border_trim import trim_border
from artzoo.data.resize import resize_image

RNG = np.random.default_rng(0)


def padded(painting: np.ndarray, top: int, bottom: int, noise: int = 6) -> np.ndarray:
    """`painting` with black bars above and below, the bars holding JPEG-like ringing up to `noise`."""
    w = painting.shape[1]
    bar = lambda h: RNG.integers(0, noise + 1, (h, w, 3)).astype(np.uint8)  # noqa: E731
    return np.concatenate([bar(top), painting, bar(bottom)])


def test_bars_are_cut_and_the_painting_kept_whole():
    painting = RNG.integers(40, 255, (30, 40, 3)).astype(np.uint8)
    image = padded(painting, 5, 5)
    got = trim_border(tf.constant(image)).numpy()
    np.testing.assert_array_equal(got, painting)


def test_a_dark_band_inside_the_painting_is_not_cut_and_black_images_stay_whole():
    painting = RNG.integers(40, 255, (30, 40, 3)).astype(np.uint8)
    painting[10:20] = 2  # a black band across the middle: not at the edge, so kept
    image = padded(painting, 4, 4)
    assert trim_border(tf.constant(image)).shape == (30, 40, 3)
    black = np.zeros((20, 20, 3), np.uint8)
    assert trim_border(tf.constant(black)).shape == (20, 20, 3)


def test_trim_mode_resizes_the_painting_not_the_bars():
    painting = RNG.integers(40, 255, (24, 32, 3)).astype(np.uint8)
    image = padded(painting, 4, 4)
    got = resize_image(tf.constant(image), 16, "trim").numpy()
    expected = resize_image(tf.constant(painting), 16, "squash").numpy()
    np.testing.assert_array_equal(got, expected)
    assert not np.array_equal(resize_image(tf.constant(image), 16, "squash").numpy(), expected)
