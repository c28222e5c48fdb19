"""Texture statistics of mid-level backbone layers as extra head inputs (`model.texture_layers`).

The backbone is re-wrapped to also output the named layers' feature maps (same layers, same weights: freezing,
fine-tuning and Grad-CAM see the same backbone, whose first output is still the last feature map). Each map is
Gram-pooled (`GramPooling`), concatenated with the pooled top features as the `pool` layer, and standardised by a
BatchNormalization (`pool_norm`) before the heads, so no block dominates by scale. Everything before `pool` is
parameter-free, so phase 1 can still train the heads on cached vectors.
"""

from __future__ import annotations

from typing import Sequence

import keras
from keras import layers

from artzoo.errors import ArtzooError
from artzoo.models.gram_pooling import GramPooling

POOL_LAYER = "pool"


def tap_backbone(backbone: keras.Model, names: Sequence[str]) -> keras.Model:
    """`backbone` with outputs [last feature map, *the maps of `names`]."""
    known = {layer.name for layer in backbone.layers}
    missing = [n for n in names if n not in known]
    if missing:
        examples = [l.name for l in backbone.layers if l.name.endswith("_add")][:12] or sorted(known)[:12]
        raise ArtzooError(f"model.texture_layers: backbone {backbone.name!r} has no layer "
                          f"{', '.join(repr(m) for m in missing)}; e.g. {', '.join(examples)}")
    outputs = [backbone.output] + [backbone.get_layer(n).output for n in names]
    return keras.Model(backbone.inputs, outputs, name=backbone.name)


def texture_pool(pooled, maps: Sequence, names: Sequence[str]):
    """[pooled top features, Gram of each map] concatenated as `pool`, then standardised (`pool_norm`)."""
    grams = [GramPooling(name=f"gram_{name}")(m) for name, m in zip(names, maps)]
    x = layers.Concatenate(name=POOL_LAYER, dtype="float32")([pooled, *grams])  # float32 under mixed precision
    return layers.BatchNormalization(name="pool_norm", dtype="float32")(x)
