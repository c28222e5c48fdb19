"""Two-phase fine-tuning: train the heads on a frozen backbone, then unfreeze its top K blocks.

BatchNormalization layers stay frozen in phase 2 (as in the keras.io fine-tuning guide): their moving
statistics came from ImageNet-sized batches and small art batches would wreck them. A frozen BatchNorm layer
in Keras 3 also runs in inference mode, so its statistics are used, not updated.
"""

from __future__ import annotations

import keras

from artzoo.models.classifier import BACKBONE_NAME
from artzoo.models.blocks import backbone_blocks


def freeze_backbone(model: keras.Model) -> None:
    model.get_layer(BACKBONE_NAME).trainable = False


def unfreeze_top_blocks(model: keras.Model, backbone_name: str, num_blocks: int) -> list[str]:
    """Makes the top `num_blocks` blocks of the backbone trainable, BatchNorm excluded.

    Blocks are those of the backbone's registry entry (`backbone_blocks`); they may live inside a nested
    layer (a keras-hub encoder), so trainability is set per block layer and BatchNorm is found recursively.

    Returns:
        Names of the layers with weights made trainable.
    """
    backbone = model.get_layer(BACKBONE_NAME)
    groups = backbone_blocks(backbone, backbone_name)
    top = [layer for group in groups[-num_blocks:] for layer in group] if num_blocks > 0 else []
    top_ids = {id(layer) for layer in top}
    backbone.trainable = True  # containers must be trainable for their trainable children to count
    for group in groups:
        for layer in group:
            layer.trainable = id(layer) in top_ids
    for layer in backbone._flatten_layers(include_self=False, recursive=True):
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.trainable = False
    return [layer.name for layer in top if layer.trainable and layer.weights]


def trains_from_scratch(weights) -> bool:
    """True for random initial weights: there is nothing pretrained to protect by freezing."""
    return weights in (None, "", "none", "None")


def set_phase_trainable(model: keras.Model, backbone_name: str, weights, phase: str, fine_tune_blocks: int) -> None:
    """Trainability for a training phase: "frozen" freezes the backbone, "fine_tune" unfreezes its top blocks.

    A backbone trained from scratch (weights none) is trainable as a whole in every phase, BatchNorm included:
    freezing random features, or BatchNorm statistics that were never estimated, would only cripple it.
    """
    if trains_from_scratch(weights):
        model.get_layer(BACKBONE_NAME).trainable = True
    elif phase == "frozen":
        freeze_backbone(model)
    else:
        unfreeze_top_blocks(model, backbone_name, fine_tune_blocks)
