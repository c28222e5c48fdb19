"""Training-time augmentation from Keras core preprocessing layers (GridMask from keras-cv), applied to batches
in tf.data.

The layers are pinned to float32: built while a mixed policy is set (the training run builds its pipelines
inside the precision scope) they would otherwise compute in float16 on the host CPU, slowly and coarsely
(float16 has 11 significant bits: pixel values above 2048 and the interpolation weights between lose precision).
"""

from __future__ import annotations

from typing import Optional

import keras

from artzoo.config import AugmentConfig

FLOAT32 = "float32"  # the augmentation layers' dtype policy under any global policy


def build_augmenter(cfg: AugmentConfig, seed: int) -> Optional[keras.Sequential]:
    """A Sequential of random layers for pixels in [0, 255], or None when every option is off.

    Geometric and photometric layers first, then RandAugment (which picks `rand_augment_ops` of its
    operations per batch). MixUp / CutMix are not here: they change the targets too (`artzoo.data.mixing`).
    """
    f32 = dict(dtype=FLOAT32)
    layers = []
    if cfg.flip:
        layers.append(keras.layers.RandomFlip("horizontal", seed=seed, **f32))
    if cfg.rotation:
        layers.append(keras.layers.RandomRotation(cfg.rotation, fill_mode="reflect", seed=seed + 1, **f32))
    if cfg.zoom:
        layers.append(keras.layers.RandomZoom(cfg.zoom, fill_mode="reflect", seed=seed + 2, **f32))
    if cfg.contrast:
        layers.append(keras.layers.RandomContrast(cfg.contrast, value_range=(0, 255), seed=seed + 3, **f32))
    if cfg.brightness:
        layers.append(keras.layers.RandomBrightness(cfg.brightness, value_range=(0, 255), seed=seed + 4, **f32))
    if cfg.rand_augment:
        layers.append(keras.layers.RandAugment(value_range=(0, 255), num_ops=cfg.rand_augment_ops,
                                               factor=cfg.rand_augment_factor, seed=seed + 5, **f32))
    if cfg.grid_mask:
        from artzoo.data.keras_cv_augment import grid_mask

        layers.append(grid_mask(cfg.grid_mask, seed + 6))
    return keras.Sequential(layers, name="augment") if layers else None
