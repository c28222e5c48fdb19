"""Specialists mode (as in the ancient-art study): separately trained single-task models composed into one
inference model with the same dict outputs as a shared multi-head model.

    image -> {culture_specialist, medium_specialist, period_specialist} -> {culture, medium, period}

The composed model is an ordinary functional Keras model (it saves to `.keras`, loads with safe_mode=True and
exports as one SavedModel); each specialist keeps its own backbone, weights and preprocessing.
"""

from __future__ import annotations

from typing import Mapping

import keras

from artzoo.errors import ArtzooError
from artzoo.models.classifier import INPUT_NAME

SUFFIX = "_specialist"


def specialist_name(key: str) -> str:
    return f"{key}{SUFFIX}"


def compose_specialists(specialists: Mapping[str, keras.Model], image_size: int,
                        name: str = "artzoo_specialists") -> keras.Model:
    """One model that feeds the same image to every specialist and merges their outputs.

    Args:
        specialists: key (usually the head name) -> trained model returning `{head: probabilities}`. Each is
            renamed `<key>_specialist` so the composed model's layer names stay unique.
        image_size: square input side; every specialist must accept it.

    Returns:
        A functional `keras.Model` taking `image` and returning `{head: probabilities}` for all heads.
    """
    if not specialists:
        raise ArtzooError("no specialist models to compose; specialists mode needs at least one head")
    inputs = keras.Input((image_size, image_size, 3), name=INPUT_NAME)
    outputs: dict = {}
    for key, model in specialists.items():
        model.name = specialist_name(key)
        out = model(inputs)
        if not isinstance(out, dict):
            raise ArtzooError(f"specialist {key!r} must return a dict of named heads, got {type(out).__name__}")
        for head, tensor in out.items():
            if head in outputs:
                raise ArtzooError(f"head {head!r} is predicted by two specialists; each head needs exactly one")
            outputs[head] = tensor
    return keras.Model(inputs, outputs, name=name)


def specialist(model: keras.Model, key: str) -> keras.Model:
    """The specialist `key` inside a composed model (e.g. to read its attention map)."""
    names = [l.name[: -len(SUFFIX)] for l in model.layers if l.name.endswith(SUFFIX)]
    if key not in names:
        raise ArtzooError(f"unknown specialist {key!r}; expected one of: {', '.join(names)}")
    return model.get_layer(specialist_name(key))
