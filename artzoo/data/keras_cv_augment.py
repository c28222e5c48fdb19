"""The augmentations artzoo takes from keras-cv because core Keras lacks them: GridMask (Chen et al. 2020).

`data.augment.grid_mask: R` (0 = off) masks a rotated grid of squares in every training image, the mask-to-cell
ratio drawn from (0, R) per image, filled with black. Core Keras 3.15 has RandomErasing (cutout) but no grid
mask; keras-cv's GridMask works under Keras 3.15.1 in the tf.data training pipeline, where artzoo applies every
augmentation.

It never goes inside a model: keras-cv 0.9's image layers take no `training` argument and augment on every
call, so a model holding one would also mask images at prediction time (`tests/test_keras_cv_augment.py`
shows it). For the same reason artzoo keeps its own SE block (`artzoo.models.layers.SqueezeExcitation`) rather
than keras-cv's `SqueezeAndExcite2D`, which does round-trip through `.keras` but would add keras-cv's import
(~2.4 s) to every model load and rename the layer in existing `.keras` files.
"""

from __future__ import annotations

import keras


def grid_mask(ratio: float, seed: int) -> keras.layers.Layer:
    """keras-cv's GridMask for pixels in [0, 255]: ratio drawn from (0, `ratio`), any rotation, black fill."""
    if not 0.0 < ratio < 1.0:
        from artzoo.errors import ArtzooError

        raise ArtzooError(f"data.augment.grid_mask {ratio} must be between 0 and 1 (0 turns it off)")
    import keras_cv

    return keras_cv.layers.GridMask(ratio_factor=(0.0, ratio), rotation_factor=0.5, fill_mode="constant",
                                    fill_value=0.0, seed=seed, name="grid_mask",
                                    dtype="float32")  # pinned like the core layers (build_augmenter)
