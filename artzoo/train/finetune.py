"""Two-phase fine-tuning: train the heads on a frozen backbone, then unfreeze its top K blocks.

BatchNormalization layers stay frozen in phase 2 (as in the keras.io fine-tuning guide): their moving
statistics came from ImageNet-sized batches and small art batches would wreck them.
"""

from __future__ import annotations

import keras

from artzoo.models.classifier import BACKBONE_NAME
from artzoo.models.registry import block_groups, get_backbone_spec


def freeze_backbone(model: keras.Model) -> None:
    model.get_layer(BACKBONE_NAME).trainable = False


def unfreeze_top_blocks(model: keras.Model, backbone_name: str, num_blocks: int) -> list[str]:
    """Makes the top `num_blocks` blocks of the backbone trainable, BatchNorm excluded.

    Returns:
        Names of the layers made trainable.
    """
    backbone = model.get_layer(BACKBONE_NAME)
    groups = block_groups(backbone, get_backbone_spec(backbone_name).block_pattern)
    top = {id(layer) for group in groups[-num_blocks:] for layer in group} if num_blocks > 0 else set()
    backbone.trainable = True
    unfrozen = []
    for layer in backbone.layers:
        trainable = id(layer) in top and not isinstance(layer, keras.layers.BatchNormalization)
        layer.trainable = trainable
        if trainable and layer.weights:
            unfrozen.append(layer.name)
    return unfrozen
