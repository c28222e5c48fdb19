"""Gram-matrix pooling: the texture statistic of neural style transfer (Gatys et al.) as a pooled feature vector.

A feature map F (H x W positions, C channels) becomes the upper triangle of G = F^T F / (H W), the channel
co-activations averaged over positions: where things are is discarded, how brush strokes, textures and colours
co-occur is kept. Each entry gets a signed square root (as in bilinear pooling, Lin et al. 2015), which evens out
the few large co-activations. Parameter-free; C channels give C (C + 1) / 2 values, so it suits the low-channel
mid-level blocks (MobileNetV2's block_2_add .. block_12_add: 24-96 channels, 300-4,656 values).

On WikiArt-7, adding the Gram matrices of block_2/5/9/12_add to the avg-pooled top features lifts a frozen
MobileNetV2 logistic-regression probe from 0.517 to 0.590 val accuracy (bench/style_probe.py).
"""

from __future__ import annotations

import keras
import numpy as np
from keras import layers, ops

from artzoo.models.layers import PACKAGE


@keras.saving.register_keras_serializable(package=PACKAGE)
class GramPooling(layers.Layer):
    """(N, H, W, C) -> (N, C (C + 1) / 2): signed square root of the upper triangle of F^T F / (H W).

    Computes in float32 whatever the model's policy (co-activations overflow float16 easily).
    """

    def __init__(self, epsilon: float = 1e-6, **kwargs):
        kwargs.setdefault("dtype", "float32")
        super().__init__(**kwargs)
        self.epsilon = float(epsilon)

    def call(self, features):
        x = ops.cast(features, "float32")
        channels = int(x.shape[-1])
        positions = ops.shape(x)[1] * ops.shape(x)[2]
        flat = ops.reshape(x, (ops.shape(x)[0], -1, channels))
        gram = ops.matmul(ops.transpose(flat, (0, 2, 1)), flat) / ops.cast(positions, "float32")
        rows, cols = np.triu_indices(channels)
        upper = ops.take(ops.reshape(gram, (-1, channels * channels)), rows * channels + cols, axis=1)
        return ops.sign(upper) * ops.sqrt(ops.abs(upper) + self.epsilon)

    def compute_output_shape(self, input_shape):
        channels = input_shape[-1]
        return (input_shape[0], channels * (channels + 1) // 2)

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon}
