"""Builds the coordinator model: one backbone, optional SE / self-attention, pooling, and N named heads.

    image (0..255 RGB) -> ImagePreprocessing -> backbone -> [SE] -> [self-attention] -> pooling -> {head: probs}
    (with model.texture_layers: pooling + Gram matrices of those backbone layers, see artzoo.models.texture)
"""

from __future__ import annotations

import keras
from keras import layers

from artzoo.config import ModelConfig
from artzoo.errors import ArtzooError
from artzoo.models.cascade import attach_cascade_head
from artzoo.models.heads import attach_head
from artzoo.models.layers import AttentionPooling, ImagePreprocessing, SpatialSelfAttention, SqueezeExcitation
from artzoo.models.registry import create_backbone, get_backbone_spec
from artzoo.models.texture import tap_backbone, texture_pool

INPUT_NAME = "image"
BACKBONE_NAME = "backbone"
ATTENTION_LAYER = "self_attention"


def build_classifier(cfg: ModelConfig, classes: dict[str, list[str]], image_size: int) -> keras.Model:
    """Builds the model for `cfg` with one output per head.

    Args:
        cfg: model section of the run config.
        classes: class names per head name.
        image_size: square input side in pixels.

    Returns:
        A functional `keras.Model` taking `image` (float32, 0..255) and returning `{head_name: probabilities}`.
    """
    if not cfg.heads:
        raise ArtzooError("model.heads is empty; a model needs at least one head")
    spec = get_backbone_spec(cfg.backbone)
    shape = (image_size, image_size, 3)
    backbone = create_backbone(cfg.backbone, weights=cfg.weights, input_shape=shape)
    if cfg.texture_layers:
        backbone = tap_backbone(backbone, cfg.texture_layers)
    backbone.name = BACKBONE_NAME  # a fixed name lets fine-tuning, Grad-CAM and export find it

    inputs = keras.Input(shape, name=INPUT_NAME)
    x = ImagePreprocessing(spec.preprocessing, name="preprocessing")(inputs)
    x = backbone(x)
    maps = []
    if cfg.texture_layers:
        x, *maps = x
    if cfg.se:
        x = SqueezeExcitation(name="squeeze_excitation")(x)
    if cfg.attention:
        x, _ = SpatialSelfAttention(name=ATTENTION_LAYER)(x)
    pool = "top_pool" if cfg.texture_layers else "pool"  # with textures, `pool` is their concatenation
    if cfg.pooling == "avg":
        x = layers.GlobalAveragePooling2D(name=pool)(x)
    elif cfg.pooling == "max":
        x = layers.GlobalMaxPooling2D(name=pool)(x)
    else:
        x = AttentionPooling(name=pool)(x)
    if cfg.texture_layers:
        x = texture_pool(x, maps, cfg.texture_layers)

    outputs = {}
    for head in cfg.heads:
        if head.name not in classes:
            raise ArtzooError(f"head {head.name!r} has no classes; known heads: {', '.join(classes)}")
        if head.cascade != "none":
            outputs[head.name] = attach_cascade_head(x, head, classes[head.name])
        else:
            outputs[head.name] = attach_head(x, head, len(classes[head.name]))
    return keras.Model(inputs, outputs, name=f"artzoo_{cfg.backbone}")
