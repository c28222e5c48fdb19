"""Vision Transformers from keras-hub, built from arguments (no preset download), as registry entries.

keras-hub is imported only when a ViT is built (it pulls tensorflow-text and takes seconds to import). The
registered backbone wraps keras-hub's `ViTBackbone` and lays its patch tokens back out as an (H/16, W/16, C)
feature map (`PatchTokenGrid`), so SE, self-attention and pooling treat it like a CNN's last feature map.

Weights: none (random init) or a file saved from a keras-hub `ViTBackbone` of the same architecture and input
size (`ViTBackbone.from_preset(...).save_weights("vit.weights.h5")` where presets can be downloaded). There
is no ImageNet entry in Keras's cache for these, so `weights: imagenet` is refused with a clear error.
"""

from __future__ import annotations

import keras

from artzoo.extras import require
from artzoo.models.layers import PatchTokenGrid
from artzoo.models.registry import register_backbone

PATCH_SIZE = 16
VIT_LAYER = "vit_backbone"

# name: (layers, heads, hidden size, MLP size) -- ViT-B/16 (Dosovitskiy et al.) and DeiT-Ti/16 (Touvron et al.)
ARCHITECTURES = {
    "vit_base": (12, 12, 768, 3072),
    "vit_tiny": (12, 3, 192, 768),
}


def vit_blocks(backbone: keras.Model) -> list:
    """Patch embedding, the transformer blocks, and the final LayerNorm, in order (for top-K fine-tuning)."""
    vit = backbone.get_layer(VIT_LAYER)
    encoder = vit.get_layer("vit_encoder")
    return [vit.get_layer("vit_patching_and_embedding"), *encoder.encoder_layers, encoder.layer_norm]


def _vit(name: str, num_layers: int, num_heads: int, hidden_dim: int, mlp_dim: int):
    def build(weights, input_shape):
        ViTBackbone = require("hub", "keras_hub").models.ViTBackbone  # the `hub` extra

        vit = ViTBackbone(
            image_shape=tuple(input_shape), patch_size=PATCH_SIZE, num_layers=num_layers, num_heads=num_heads,
            hidden_dim=hidden_dim, mlp_dim=mlp_dim, dropout_rate=0.0, attention_dropout=0.0,
            layer_norm_epsilon=1e-6, use_class_token=True, name=VIT_LAYER,
        )
        inputs = keras.Input(tuple(input_shape), name=f"{name}_input")
        grid = PatchTokenGrid(input_shape[0] // PATCH_SIZE, input_shape[1] // PATCH_SIZE, skip_tokens=1,
                              name="patch_grid")(vit(inputs))
        return keras.Model(inputs, grid, name=name)

    register_backbone(
        name,
        preprocessing="tf",  # ViT-B/16 ImageNet checkpoints normalise with mean 0.5, std 0.5: [-1, 1]
        block_pattern=r"^(transformer_block_\d+)$",
        block_layers=vit_blocks,
        weights_layer=VIT_LAYER,
        min_size=PATCH_SIZE * 2,
        multiple_of=PATCH_SIZE,
        family="ViT (keras-hub)",
    )(build)


for _name, _arch in ARCHITECTURES.items():
    _vit(_name, *_arch)
