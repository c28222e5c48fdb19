"""Named classification heads: softmax (single label) or sigmoid (multi-label), always float32 outputs."""

from __future__ import annotations

import keras
from keras import layers

from artzoo.config import HeadConfig


def attach_head(features, head: HeadConfig, num_classes: int):
    """Adds head `head.name` on pooled `features`: optional hidden layer, dropout, and the output layer.

    The output layer (named after the head) computes in float32 so mixed-precision training stays stable.
    """
    x = features
    if head.hidden_units:
        x = layers.Dense(head.hidden_units, activation="relu", name=f"{head.name}_hidden")(x)
    if head.dropout:
        x = layers.Dropout(head.dropout, name=f"{head.name}_dropout")(x)
    activation = "softmax" if head.type == "softmax" else "sigmoid"
    return layers.Dense(num_classes, activation=activation, dtype="float32", name=head.name)(x)


def head_loss(head: HeadConfig) -> keras.losses.Loss:
    """Loss for a head; softmax labels arrive one-hot (so label smoothing works), sigmoid labels multi-hot.

    `head.loss == "focal"` picks Keras's focal losses (Lin et al. 2017): each item's cross-entropy is scaled by
    (1 - p_true) ** focal_gamma, so confidently right (mostly majority-class) items count less; alpha scales
    the loss (categorical) or weighs positives against negatives (binary, with class balancing on).
    """
    if head.loss == "focal":
        if head.type == "softmax":
            return keras.losses.CategoricalFocalCrossentropy(
                alpha=head.focal_alpha, gamma=head.focal_gamma, label_smoothing=head.label_smoothing)
        return keras.losses.BinaryFocalCrossentropy(
            apply_class_balancing=True, alpha=head.focal_alpha, gamma=head.focal_gamma,
            label_smoothing=head.label_smoothing)
    if head.type == "softmax":
        return keras.losses.CategoricalCrossentropy(label_smoothing=head.label_smoothing)
    return keras.losses.BinaryCrossentropy(label_smoothing=head.label_smoothing)


def head_metrics(head: HeadConfig, num_classes: int) -> list:
    if head.type == "softmax":
        metrics = [keras.metrics.CategoricalAccuracy(name="accuracy")]
        if num_classes > head.top_k > 1:
            metrics.append(keras.metrics.TopKCategoricalAccuracy(k=head.top_k, name=f"top{head.top_k}"))
        return metrics
    return [
        keras.metrics.BinaryAccuracy(name="accuracy"),
        keras.metrics.AUC(multi_label=True, num_labels=num_classes, name="auc"),
    ]
