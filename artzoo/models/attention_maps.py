"""Reads the spatial attention map of a built model's self-attention module, for visualisation.

    maps = attention_maps(model, images)                 # (batch, H', W'), each map sums to 1
    overlays = attention_maps(model, images, size=224)   # bilinear up-sampling to the image size
"""

from __future__ import annotations

from typing import Optional

import keras
import numpy as np
import tensorflow as tf

from artzoo.errors import ArtzooError
from artzoo.models.classifier import ATTENTION_LAYER
from artzoo.models.float32_clone import float32_clone
from artzoo.models.layers import SpatialSelfAttention


def find_attention_layer(model: keras.Model) -> SpatialSelfAttention:
    """The model's `SpatialSelfAttention` layer (by its fixed name, else the only one of its type)."""
    try:
        layer = model.get_layer(ATTENTION_LAYER)
        if isinstance(layer, SpatialSelfAttention):
            return layer
    except ValueError:
        pass
    found = [l for l in model.layers if isinstance(l, SpatialSelfAttention)]
    if len(found) != 1:
        raise ArtzooError(
            f"model {model.name!r} has {len(found)} self-attention layers; expected one "
            "(build it with model.attention: true, or pass one specialist of a composed model)"
        )
    return found[0]


def attention_map_model(model: keras.Model) -> keras.Model:
    """A model sharing `model`'s weights that maps its input images to the attention map (batch, H', W')."""
    layer = find_attention_layer(model)
    _, attention_map = layer.output
    return keras.Model(model.inputs, attention_map, name=f"{model.name}_attention_map")


def attention_maps(model: keras.Model, images, size: Optional[int] = None, batch_size: int = 32) -> np.ndarray:
    """Attention maps of `images` (float 0..255, the model's input size) as float32 numpy arrays.

    Args:
        size: when given, each map is resized (bilinear) to size x size and rescaled to sum to 1 again.
    """
    model = float32_clone(model)  # the map of a 16-bit model, computed in float32
    maps = attention_map_model(model).predict(images, batch_size=batch_size, verbose=0).astype(np.float32)
    if size is None:
        return maps
    resized = tf.image.resize(maps[..., None], (size, size), method="bilinear")[..., 0].numpy()
    return resized / np.maximum(resized.sum(axis=(1, 2), keepdims=True), 1e-12)
