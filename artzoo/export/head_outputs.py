"""Per-head named outputs from a model's probabilities, in TensorFlow ops (inside the SavedModel graph, and
eagerly for `.keras` / TFLite / ONNX predictions, so every format answers with the same names)."""

from __future__ import annotations

from typing import Mapping

import tensorflow as tf

from artzoo.export.serving_spec import HeadSpec


def head_outputs(probs: Mapping[str, tf.Tensor], heads: list[HeadSpec]) -> dict[str, tf.Tensor]:
    """`{head}_probabilities`, `{head}_top_k_ids|scores|labels` and, for sigmoid heads, `{head}_decisions`.

    Labels are constants in the graph, so a served model names its classes without any side file.
    """
    out = {}
    for head in heads:
        p = tf.cast(probs[head.name], tf.float32)
        scores, ids = tf.math.top_k(p, k=head.k)
        out[f"{head.name}_probabilities"] = p
        out[f"{head.name}_top_k_ids"] = ids
        out[f"{head.name}_top_k_scores"] = scores
        out[f"{head.name}_top_k_labels"] = tf.gather(tf.constant(head.classes, tf.string), ids)
        if head.type == "sigmoid":
            out[f"{head.name}_decisions"] = p >= tf.constant(head.decision_thresholds(), tf.float32)
    return out
