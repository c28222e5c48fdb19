"""The SCAN clustering head on embedding vectors: several clustering heads over one input, as Keras core layers.

    vector -> Normalization -> Dropout -> GaussianNoise -> [Dense(hidden, relu) -> BatchNorm] -> Dense(heads * k)
           -> Reshape(heads, k) -> Softmax            output: (batch, heads, k) probabilities, float32

Normalization standardises each dimension with the fitted vectors' mean and variance (kept in the layer's
config, so the saved head carries its own input scaling).

Dropout and Gaussian noise act only while training: they are the feature-space augmentation (the
"strong" view of self-labelling, and a regulariser for SCAN); at inference the head is deterministic. Everything
is a core layer, so the saved .keras file loads with `safe_mode=True` and no custom code.
"""

from __future__ import annotations

import keras
import numpy as np

from artzoo.errors import ArtzooError

OUTPUT = "cluster_probs"
LOGITS = "cluster_logits"
STANDARDISE = "standardise"


def build_scan_head(dims: int, k: int, heads: int = 1, hidden: int = 0, dropout: float = 0.0,
                    noise: float = 0.0, mean=None, variance=None, name: str = "scan_head") -> keras.Model:
    if k < 2 or heads < 1 or hidden < 0 or not 0 <= dropout < 1 or noise < 0:
        raise ArtzooError(f"SCAN head: k {k} >= 2, heads {heads} >= 1, hidden {hidden} >= 0, dropout {dropout} in "
                          f"[0, 1), noise {noise} >= 0 expected")
    mean = np.zeros(dims, np.float32) if mean is None else np.asarray(mean, np.float32)
    variance = np.ones(dims, np.float32) if variance is None else np.asarray(variance, np.float32)
    inputs = keras.Input((dims,), name="vector")
    x = keras.layers.Normalization(mean=mean, variance=variance, name=STANDARDISE)(inputs)
    x = keras.layers.Dropout(dropout, name="feature_dropout")(x)
    x = keras.layers.GaussianNoise(noise, name="feature_noise")(x)
    if hidden:
        x = keras.layers.Dense(hidden, activation="relu", name="hidden")(x)
        x = keras.layers.BatchNormalization(name="hidden_bn")(x)
    x = keras.layers.Dense(heads * k, name=LOGITS)(x)
    x = keras.layers.Reshape((heads, k), name="per_head")(x)
    outputs = keras.layers.Softmax(axis=-1, dtype="float32", name=OUTPUT)(x)
    return keras.Model(inputs, outputs, name=name)


def head_settings(model: keras.Model) -> dict:
    """dims, k, heads, hidden, dropout and noise of a head built by `build_scan_head`."""
    heads, k = model.output_shape[1:]
    hidden = model.get_layer("hidden").units if any(layer.name == "hidden" for layer in model.layers) else 0
    return {"dims": int(model.input_shape[-1]), "k": int(k), "heads": int(heads), "hidden": int(hidden),
            "dropout": float(model.get_layer("feature_dropout").rate),
            "noise": float(model.get_layer("feature_noise").stddev)}


def single_head(model: keras.Model, index: int) -> keras.Model:
    """A one-head copy of `model` keeping head `index` (its shared layers and its slice of the last Dense)."""
    s = head_settings(model)
    if not 0 <= index < s["heads"]:
        raise ArtzooError(f"head {index} does not exist; the model has {s['heads']}")
    scale = model.get_layer(STANDARDISE)
    one = build_scan_head(s["dims"], s["k"], 1, s["hidden"], s["dropout"], s["noise"], scale.input_mean,
                          scale.input_variance, name=model.name)
    for layer in one.layers:
        if layer.name == LOGITS:
            kernel, bias = model.get_layer(LOGITS).get_weights()
            cols = slice(index * s["k"], (index + 1) * s["k"])
            layer.set_weights([kernel[:, cols], bias[cols]])
        elif layer.weights:
            layer.set_weights(model.get_layer(layer.name).get_weights())
    return one


def predict_probs(model: keras.Model, x: np.ndarray, batch_size: int = 4096) -> np.ndarray:
    """(n, heads, k) float32 probabilities, inference mode (no dropout, no noise)."""
    out = [np.asarray(model(x[i:i + batch_size], training=False)) for i in range(0, len(x), batch_size)]
    return np.concatenate(out).astype(np.float32)
