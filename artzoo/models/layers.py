"""Registered custom layers (no Lambda, so `.keras` files load with safe_mode=True).

- `ImagePreprocessing`: the backbone's pixel scaling, inside the model so it travels with the weights.
- `SqueezeExcitation`: channel re-weighting of the last feature map (Hu et al.), from Keras core ops.
- `SpatialSelfAttention`: SAGAN-style self-attention over the feature map's positions; returns the
  re-weighted features and a spatial attention map (H', W') for visualisation.
- `AttentionPooling`: multi-head attention of a learned query over spatial tokens, instead of average pooling.
- `PatchTokenGrid`: a transformer's patch tokens laid back out as a feature map, so SE, self-attention and
  pooling work on a ViT as on a CNN.
"""

from __future__ import annotations

import keras
from keras import layers, ops

PACKAGE = "artzoo"

_CAFFE_MEAN_BGR = (103.939, 116.779, 123.68)
_TORCH_MEAN = (0.485, 0.456, 0.406)
_TORCH_STD = (0.229, 0.224, 0.225)


@keras.saving.register_keras_serializable(package=PACKAGE)
class ImagePreprocessing(layers.Layer):
    """Scales RGB pixels in [0, 255] the way a backbone's weights expect.

    Modes: "tf" -> [-1, 1]; "torch" -> ImageNet mean/std; "caffe" -> BGR minus ImageNet mean;
    "unit" -> [0, 1]; "none" -> unchanged (models that rescale inside, e.g. EfficientNet).
    """

    def __init__(self, mode: str = "tf", **kwargs):
        super().__init__(**kwargs)
        if mode not in ("tf", "torch", "caffe", "unit", "none"):
            raise ValueError(f"unknown preprocessing mode {mode!r}")
        self.mode = mode

    def call(self, images):
        x = ops.cast(images, self.compute_dtype)
        if self.mode == "tf":
            return x / 127.5 - 1.0
        if self.mode == "unit":
            return x / 255.0
        if self.mode == "torch":
            mean = ops.convert_to_tensor(_TORCH_MEAN, dtype=x.dtype)
            std = ops.convert_to_tensor(_TORCH_STD, dtype=x.dtype)
            return (x / 255.0 - mean) / std
        if self.mode == "caffe":
            mean = ops.convert_to_tensor(_CAFFE_MEAN_BGR, dtype=x.dtype)
            return ops.flip(x, axis=-1) - mean
        return x

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "mode": self.mode}


@keras.saving.register_keras_serializable(package=PACKAGE)
class SqueezeExcitation(layers.Layer):
    """Squeeze (global average) and excite (bottleneck MLP, sigmoid) channel gates on a feature map."""

    def __init__(self, ratio: int = 16, **kwargs):
        super().__init__(**kwargs)
        self.ratio = ratio

    def build(self, input_shape):
        channels = int(input_shape[-1])
        # Sub-layers take this layer's dtype policy: built while loading a mixed-precision model, the global
        # policy may be float32 while this layer computes in float16/bfloat16.
        self.squeeze = layers.Dense(max(1, channels // self.ratio), activation="relu", name="squeeze",
                                    dtype=self.dtype_policy)
        self.excite = layers.Dense(channels, activation="sigmoid", name="excite", dtype=self.dtype_policy)
        self.squeeze.build((input_shape[0], channels))
        self.excite.build((input_shape[0], max(1, channels // self.ratio)))

    def call(self, features):
        pooled = ops.mean(features, axis=(1, 2))
        gates = ops.cast(self.excite(self.squeeze(pooled)), features.dtype)
        return features * ops.expand_dims(ops.expand_dims(gates, 1), 1)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "ratio": self.ratio}


@keras.saving.register_keras_serializable(package=PACKAGE)
class SpatialSelfAttention(layers.Layer):
    """Self-attention over the positions of a feature map (Zhang et al., SAGAN), after the last conv block.

    Returns `(features, attention_map)`: features + gamma * attended values, and an (H', W') map of how
    much attention each position receives (mean over queries, scaled to sum to 1). gamma starts at 0 so the
    module begins as the identity and learns how much to re-weight.
    """

    def __init__(self, key_ratio: int = 8, **kwargs):
        super().__init__(**kwargs)
        self.key_ratio = key_ratio

    def build(self, input_shape):
        channels = int(input_shape[-1])
        key_dim = max(1, channels // self.key_ratio)
        self.query = layers.Conv2D(key_dim, 1, name="query", dtype=self.dtype_policy)
        self.key = layers.Conv2D(key_dim, 1, name="key", dtype=self.dtype_policy)
        self.value = layers.Conv2D(channels, 1, name="value", dtype=self.dtype_policy)
        for conv in (self.query, self.key, self.value):
            conv.build(input_shape)
        self.gamma = self.add_weight(name="gamma", shape=(), initializer="zeros")

    def call(self, features):
        shape = ops.shape(features)
        height, width = shape[1], shape[2]
        tokens = height * width
        q = ops.reshape(self.query(features), (-1, tokens, self.query.filters))
        k = ops.reshape(self.key(features), (-1, tokens, self.key.filters))
        v = ops.reshape(self.value(features), (-1, tokens, self.value.filters))
        # Scaled before the product, so q.k stays in float16's range; softmax in float32 under any policy.
        q = q * ops.cast(1.0 / self.query.filters ** 0.5, q.dtype)
        scores = ops.matmul(q, ops.transpose(k, (0, 2, 1)))
        weights = ops.softmax(ops.cast(scores, "float32"), axis=-1)  # (batch, query position, key position)
        attended = ops.reshape(ops.matmul(ops.cast(weights, v.dtype), v), ops.shape(features))
        out = features + ops.cast(self.gamma, features.dtype) * attended
        received = ops.mean(weights, axis=1)  # attention each position receives
        attention_map = ops.reshape(received, (-1, height, width))
        return out, attention_map

    def compute_output_shape(self, input_shape):
        return input_shape, (input_shape[0], input_shape[1], input_shape[2])

    def compute_output_spec(self, features):
        shape = features.shape
        return (
            keras.KerasTensor(shape, dtype=features.dtype),
            keras.KerasTensor((shape[0], shape[1], shape[2]), dtype="float32"),
        )

    def get_config(self):
        return {**super().get_config(), "key_ratio": self.key_ratio}


@keras.saving.register_keras_serializable(package=PACKAGE)
class AttentionPooling(layers.Layer):
    """Pools a feature map to a vector by multi-head attention of a learned query over its positions."""

    def __init__(self, num_heads: int = 4, **kwargs):
        super().__init__(**kwargs)
        self.num_heads = num_heads

    def build(self, input_shape):
        channels = int(input_shape[-1])
        self.query_token = self.add_weight(name="query_token", shape=(1, 1, channels), initializer="zeros")
        self.attention = layers.MultiHeadAttention(
            num_heads=self.num_heads, key_dim=max(1, channels // self.num_heads), name="mha", dtype=self.dtype_policy
        )
        tokens_shape = (input_shape[0], None, channels)
        self.attention.build((input_shape[0], 1, channels), tokens_shape)

    def call(self, features):
        shape = ops.shape(features)
        tokens = ops.reshape(features, (shape[0], shape[1] * shape[2], shape[3]))
        query = ops.broadcast_to(ops.cast(self.query_token, tokens.dtype), (shape[0], 1, shape[3]))
        pooled = self.attention(query, tokens)
        return ops.squeeze(pooled, axis=1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[-1])

    def get_config(self):
        return {**super().get_config(), "num_heads": self.num_heads}


@keras.saving.register_keras_serializable(package=PACKAGE)
class PatchTokenGrid(layers.Layer):
    """(batch, skip_tokens + H*W, C) transformer tokens -> (batch, H, W, C) feature map.

    The first `skip_tokens` tokens (a ViT's class token) are dropped; the rest are patch tokens in row-major
    order, as a ViT's patch embedding emits them.
    """

    def __init__(self, grid_height: int, grid_width: int, skip_tokens: int = 1, **kwargs):
        super().__init__(**kwargs)
        self.grid_height = grid_height
        self.grid_width = grid_width
        self.skip_tokens = skip_tokens

    def call(self, tokens):
        patches = tokens[:, self.skip_tokens:, :]
        return ops.reshape(patches, (-1, self.grid_height, self.grid_width, ops.shape(tokens)[-1]))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.grid_height, self.grid_width, input_shape[-1])

    def get_config(self):
        return {**super().get_config(), "grid_height": self.grid_height, "grid_width": self.grid_width,
                "skip_tokens": self.skip_tokens}
