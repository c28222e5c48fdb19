"""A model trained under a mixed policy, rebuilt to compute in float32 with the same weights.

`model.keras` keeps each layer's dtype policy, so a model trained in mixed_float16 or mixed_bfloat16 would
serve, export and explain itself in 16 bits: TFLite conversion of a mixed-float16 model fails, a SavedModel
computes in float16 (about twice as slow on CPU), and Grad-CAM differentiates a 16-bit feature map. Variables
of a mixed policy are float32 already, so the float32 model is the same architecture with every mixed policy
replaced by float32 and the trained weights copied over unchanged.
"""

from __future__ import annotations

from typing import Any

import keras
import tensorflow as tf


def _policy_names(model: keras.Model) -> set[str]:
    return {layer.dtype_policy.name for layer in model._flatten_layers(include_self=True, recursive=True)}


def is_mixed(model: keras.Model) -> bool:
    """Whether any layer of `model` (nested ones included) computes under a mixed policy."""
    return any(name.startswith("mixed_") for name in _policy_names(model))


def training_precision(model: keras.Model) -> str:
    """The mixed policy `model` was built under ("mixed_float16", "mixed_bfloat16"), else "float32"."""
    mixed = sorted(name for name in _policy_names(model) if name.startswith("mixed_"))
    return mixed[0] if mixed else "float32"


def _float32_policies(config: Any) -> Any:
    """`config` with every serialized mixed dtype policy replaced by float32."""
    if isinstance(config, dict):
        if config.get("class_name") == "DTypePolicy" and str(config.get("config", {}).get("name", "")).startswith(
                "mixed_"):
            return {**config, "config": {**config["config"], "name": "float32"}}
        return {key: _float32_policies(value) for key, value in config.items()}
    if isinstance(config, list):
        return [_float32_policies(value) for value in config]
    return config


def float32_clone(model: keras.Model) -> keras.Model:
    """`model` itself when it computes in float32 already, else a float32 copy with its (trained) weights."""
    if not is_mixed(model):
        return model
    config = _float32_policies(keras.saving.serialize_keras_object(model))
    previous = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy("float32")  # layers without an explicit policy take the global one
    try:
        clone = keras.saving.deserialize_keras_object(config, safe_mode=True)
    finally:
        keras.mixed_precision.set_global_policy(previous)
    clone.set_weights(model.get_weights())
    return clone


def for_cpu_inference(model: keras.Model) -> keras.Model:
    """The float32 clone where no GPU is visible (16-bit compute is slow and unsupported in places on CPU);
    `model` unchanged on a GPU, where mixed precision is what makes inference fast."""
    return model if tf.config.list_physical_devices("GPU") else float32_clone(model)
