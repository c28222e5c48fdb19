"""The losses of SCAN (Van Gansbeke et al. 2020, "Learning to Classify Images without Labels"), on the
probabilities of several clustering heads at once (shape (batch, heads, k)), in keras.ops.

- consistency: -mean log <p(anchor), p(neighbour)>, a neighbour should fall in the anchor's cluster, confidently;
- entropy: the entropy of the batch's mean prediction, kept high so that not everything falls in one cluster;
- SCAN loss per head = consistency - entropy_weight * entropy;
- self-labelling: cross-entropy of a strongly augmented view against the confident (max probability above a
  threshold) predictions of the weak view, each class weighted by the inverse of its share of the confident
  items in the batch (so large clusters do not swallow the small ones).
"""

from __future__ import annotations

from keras import ops

EPS = 1e-8


def consistency_loss(anchor_probs, neighbour_probs):
    """Per head: -mean over the batch of log of the dot product of the two probability vectors."""
    similarity = ops.sum(anchor_probs * neighbour_probs, axis=-1)  # (batch, heads)
    return -ops.mean(ops.log(ops.clip(similarity, EPS, 1.0)), axis=0)


def mean_prediction_entropy(probs):
    """Per head: entropy (nats) of the batch's mean probability vector."""
    mean = ops.clip(ops.mean(probs, axis=0), EPS, 1.0)  # (heads, k)
    return -ops.sum(mean * ops.log(mean), axis=-1)


def scan_loss(anchor_probs, neighbour_probs, entropy_weight: float):
    """(total, consistency, entropy), each of shape (heads,)."""
    consistency = consistency_loss(anchor_probs, neighbour_probs)
    entropy = mean_prediction_entropy(anchor_probs)
    return consistency - entropy_weight * entropy, consistency, entropy


def self_label_loss(weak_probs, strong_probs, threshold: float, k: int):
    """Class-balanced cross-entropy of `strong_probs` against the confident argmax of `weak_probs`.

    Both are (batch, k) for one head. Returns (loss, share of confident items); the loss is 0 when no item is
    confident.
    """
    confident = ops.cast(ops.max(weak_probs, axis=-1) > threshold, "float32")
    target = ops.one_hot(ops.argmax(weak_probs, axis=-1), k)  # (batch, k)
    counts = ops.sum(target * confident[:, None], axis=0)  # confident items per class in the batch
    class_weight = ops.where(counts > 0, 1.0 / ops.maximum(counts, 1.0), 0.0)
    weight = ops.sum(target * class_weight[None, :], axis=-1) * confident  # (batch,)
    cross_entropy = -ops.sum(target * ops.log(ops.clip(strong_probs, EPS, 1.0)), axis=-1)
    total_weight = ops.sum(weight)
    loss = ops.where(total_weight > 0, ops.sum(weight * cross_entropy) / ops.maximum(total_weight, EPS), 0.0)
    return loss, ops.mean(confident)
