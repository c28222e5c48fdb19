"""Training-time augmentation from Keras core preprocessing layers, applied to batches in tf.data."""

from __future__ import annotations

from typing import Optional

import keras

from artzoo.config import AugmentConfig


def build_augmenter(cfg: AugmentConfig, seed: int) -> Optional[keras.Sequential]:
    """A Sequential of random layers for pixels in [0, 255], or None when every option is off."""
    layers = []
    if cfg.flip:
        layers.append(keras.layers.RandomFlip("horizontal", seed=seed))
    if cfg.rotation:
        layers.append(keras.layers.RandomRotation(cfg.rotation, fill_mode="reflect", seed=seed + 1))
    if cfg.zoom:
        layers.append(keras.layers.RandomZoom(cfg.zoom, fill_mode="reflect", seed=seed + 2))
    if cfg.contrast:
        layers.append(keras.layers.RandomContrast(cfg.contrast, value_range=(0, 255), seed=seed + 3))
    if cfg.brightness:
        layers.append(keras.layers.RandomBrightness(cfg.brightness, value_range=(0, 255), seed=seed + 4))
    return keras.Sequential(layers, name="augment") if layers else None
