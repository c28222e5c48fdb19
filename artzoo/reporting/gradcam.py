"""Grad-CAM (Selvaraju et al.) and the self-attention module's maps for artzoo classifiers, at image size.

Both run on the model's float32 rebuild (`float32_clone`) when it was trained under a mixed policy.

Grad-CAM: the gradient of a head's class log-probability with respect to the backbone's last feature map, averaged
over positions, weighs the map's channels; the ReLU of the weighted sum, scaled to [0, 1] per image and
resized bilinearly to the input's size, shows where the evidence for that class lies.

Both work on any model `artzoo.models.classifier.build_classifier` makes (and on its saved `.keras`): the
backbone is a nested model named `backbone` and the attention layer is named `self_attention`, so the
tensors are taken from where those layers are called in the outer graph.
"""

from __future__ import annotations

from typing import Optional, Sequence

import keras
import numpy as np
import tensorflow as tf

from artzoo.errors import ArtzooError
from artzoo.models.classifier import ATTENTION_LAYER, BACKBONE_NAME
from artzoo.models.float32_clone import float32_clone


def _layer_call_outputs(model: keras.Model, layer_name: str) -> list:
    """The symbolic outputs of `layer_name` as called inside `model`'s graph."""
    try:
        layer = model.get_layer(layer_name)
    except ValueError:
        names = [l.name for l in model.layers]
        raise ArtzooError(f"model has no layer {layer_name!r}; its layers: {', '.join(names)}") from None
    nodes = [n for n in layer._inbound_nodes if any(t is not None for t in n.output_tensors)]
    return list(nodes[-1].output_tensors)


def _head_names(model: keras.Model) -> list[str]:
    return list(model.output.keys()) if isinstance(model.output, dict) else [model.output_names[0]]


def _resize_maps(maps: tf.Tensor, size: tuple[int, int]) -> np.ndarray:
    """(N, h, w) -> (N, H, W), bilinear, each map scaled to [0, 1] (all-zero maps stay zero)."""
    maps = tf.image.resize(tf.cast(maps, tf.float32)[..., None], size, method="bilinear")[..., 0]
    low = tf.reduce_min(maps, axis=(1, 2), keepdims=True)
    high = tf.reduce_max(maps, axis=(1, 2), keepdims=True)
    return tf.math.divide_no_nan(maps - low, high - low).numpy()


def grad_cam(model: keras.Model, images: np.ndarray, head: str, class_index: Optional[Sequence[int]] = None):
    """Grad-CAM maps of `head` for a batch of images.

    Args:
        model: an artzoo classifier (dict outputs, nested `backbone`).
        images: float32 (N, H, W, 3), pixels 0..255, at the model's input size.
        head: the output whose class score is explained.
        class_index: one class per image; default each image's top class.

    Returns:
        (maps (N, H, W) float32 in [0, 1], class indices (N,), probabilities of those classes (N,)).
    """
    heads = _head_names(model)
    if head not in heads:
        raise ArtzooError(f"head {head!r} is not an output of the model; its heads: {', '.join(heads)}")
    model = float32_clone(model)  # a 16-bit feature map's gradients underflow: blank maps
    features = _layer_call_outputs(model, BACKBONE_NAME)[0]
    probe = keras.Model(model.inputs, [features, model.get_layer(head).output])
    images = tf.convert_to_tensor(np.asarray(images, dtype=np.float32))
    with tf.GradientTape() as tape:
        feature_map, probs = probe([images], training=False)
        probs = tf.cast(probs, tf.float32)
        if class_index is None:
            chosen = tf.argmax(probs, axis=-1, output_type=tf.int32)
        else:
            chosen = tf.constant(class_index, tf.int32)
        score = tf.gather(probs, chosen, axis=1, batch_dims=1)
        # The log-probability: its gradient does not vanish as a confident prediction's probability saturates
        # (per image it is the probability's gradient / p, so the normalised map is the same where both work).
        log_score = tf.math.log(score + 1e-30)
    grads = tf.cast(tape.gradient(log_score, feature_map), tf.float32)
    feature_map = tf.cast(feature_map, tf.float32)
    channel_weights = tf.reduce_mean(grads, axis=(1, 2), keepdims=True)
    cam = tf.nn.relu(tf.reduce_sum(channel_weights * feature_map, axis=-1))
    maps = _resize_maps(cam, (int(images.shape[1]), int(images.shape[2])))
    return maps, chosen.numpy(), score.numpy()


def has_attention(model: keras.Model) -> bool:
    return any(l.name == ATTENTION_LAYER for l in model.layers)


def attention_maps(model: keras.Model, images: np.ndarray) -> np.ndarray:
    """The self-attention module's spatial maps (attention each position receives), resized to image size.

    Returns:
        float32 (N, H, W) in [0, 1]. Raises ArtzooError when the model has no self-attention module.
    """
    if not has_attention(model):
        raise ArtzooError(f"model has no {ATTENTION_LAYER!r} layer (train with model.attention=true)")
    model = float32_clone(model)
    attention = _layer_call_outputs(model, ATTENTION_LAYER)[1]
    probe = keras.Model(model.inputs, attention)
    images = np.asarray(images, dtype=np.float32)
    maps = probe([tf.convert_to_tensor(images)], training=False)
    return _resize_maps(maps, (images.shape[1], images.shape[2]))
