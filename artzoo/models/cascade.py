"""The two-step cascade of the Met study, as one softmax head.

Stage 1 tells the dominant classes apart from one pooled "other" class; stage 2 knows only the rare classes
and resolves "other". `CascadeCombine` turns the two into the probability vector a flat classifier would give,
over all classes in their usual order, under the head's own name, so metrics, Grad-CAM and every export format
treat a cascade head like any other:

    features -> [stage 1: dominant classes + other] --\\
             -> [stage 2: rare classes]             ----> CascadeCombine (soft | hard) -> {head: probabilities}

Training needs no special data: the cross-entropy of the combined vector is exactly stage 1's cross-entropy
(rare items' target is "other") plus stage 2's cross-entropy on the rare items only (a dominant item's
probability does not depend on stage 2, so stage 2 gets no gradient from it). That holds without label
smoothing; with it, or with focal loss, the combined loss is still used as is.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Sequence

import keras
from keras import layers, ops

from artzoo.config import HeadConfig
from artzoo.errors import ArtzooError
from artzoo.models.heads import attach_head

ROUTINGS = ("soft", "hard")


@keras.saving.register_keras_serializable(package="artzoo")
class CascadeCombine(layers.Layer):
    """Flat class probabilities from stage 1 (`[dominant..., other]`) and stage 2 (`[rare...]`).

    soft: P(dominant d) = p1[d]; P(rare r) = p1[other] * p2[r] (the product rule; sums to 1).
    hard (the Met study's two steps): items whose largest stage-1 probability is "other" get stage 2's
        probabilities on the rare classes and 0 on the dominant ones; the others get the soft vector, whose
        largest entry is then stage 1's choice. Training (`training=True`) always uses soft, which has a
        gradient everywhere.

    Args:
        dominant: class indices (in the flat head) of stage 1's outputs before "other".
        rare: class indices of stage 2's outputs.
        routing: "soft" or "hard".
    """

    def __init__(self, dominant: Sequence[int], rare: Sequence[int], routing: str = "soft", **kwargs):
        super().__init__(**kwargs)
        dominant, rare = [int(i) for i in dominant], [int(i) for i in rare]
        if routing not in ROUTINGS:
            raise ValueError(f"unknown cascade routing {routing!r}; expected one of {ROUTINGS}")
        if sorted(dominant + rare) != list(range(len(dominant) + len(rare))) or not dominant or not rare:
            raise ValueError(f"dominant {dominant} and rare {rare} must split 0..n-1, neither empty")
        self.dominant, self.rare, self.routing = dominant, rare, routing
        order = dominant + rare
        self._gather = [order.index(i) for i in range(len(order))]  # flat class i sits at joined[:, gather[i]]

    @property
    def units(self) -> int:
        """Width of the flat output (the number of classes), as a Dense head's `units`."""
        return len(self.dominant) + len(self.rare)

    def call(self, inputs, training=None):
        stage1, stage2 = (ops.cast(x, "float32") for x in inputs)
        d = len(self.dominant)
        dominant, other = stage1[:, :d], stage1[:, d:]
        rare = other * stage2
        if self.routing == "hard" and not training:
            routed = ops.expand_dims(ops.equal(ops.argmax(stage1, axis=-1), d), -1)
            dominant = ops.where(routed, ops.zeros_like(dominant), dominant)
            rare = ops.where(routed, stage2, rare)
        return ops.take(ops.concatenate([dominant, rare], axis=-1), self._gather, axis=1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0][0], self.units)

    def get_config(self):
        return {**super().get_config(), "dominant": self.dominant, "rare": self.rare, "routing": self.routing}


def stage_names(head: str) -> tuple[str, str]:
    """Layer names of the two stages of cascade head `head`."""
    return f"{head}_stage1", f"{head}_stage2"


def cascade_split(class_names: Sequence[str], rare_classes: Sequence[str]) -> tuple[list[int], list[int]]:
    """(dominant, rare) class indices of a head whose rare classes are named; both must be non-empty."""
    unknown = sorted(set(rare_classes) - set(class_names))
    if unknown:
        raise ArtzooError(f"rare class {unknown[0]!r} is not a class of the head; expected some of: "
                          + ", ".join(class_names))
    rare = [i for i, c in enumerate(class_names) if c in set(rare_classes)]
    dominant = [i for i in range(len(class_names)) if i not in rare]
    if not rare or not dominant:
        raise ArtzooError(f"a cascade needs both dominant and rare classes, got rare classes {list(rare_classes)} "
                          f"of {len(class_names)}")
    return dominant, rare


def attach_cascade_head(features, head: HeadConfig, class_names: Sequence[str]):
    """Adds cascade head `head.name` on pooled `features`: two softmax stages (each with the head's hidden
    layer and dropout) and the `CascadeCombine` layer named after the head, which outputs float32."""
    if head.type != "softmax":
        raise ArtzooError(f"head {head.name!r}: a cascade needs a softmax head, not {head.type}")
    dominant, rare = cascade_split(class_names, head.rare_classes)
    first, second = stage_names(head.name)
    stage1 = attach_head(features, replace(head, name=first, cascade="none"), len(dominant) + 1)
    stage2 = attach_head(features, replace(head, name=second, cascade="none"), len(rare))
    return CascadeCombine(dominant, rare, head.cascade, dtype="float32", name=head.name)([stage1, stage2])
