"""Test-time augmentation: a classifier wrapped so that it scores several views of each image and averages
the probabilities per head.

Modes: "flip" = the image and its mirror (2 views); "crops" = the full image, the centre and four corner crops
of `crop_fraction` of the side (each resized back to the input size), all also mirrored (12 views). The views
go through the wrapped model as one batch (V x N images), so a batch costs V forward passes of compute.

Both layers are registered Keras layers with `get_config` (no Lambda), so a wrapped model saves as `.keras`
and loads with safe_mode=True, and exports like any artzoo classifier (same input name, same outputs).
"""

from __future__ import annotations

import keras
from keras import layers, ops

from artzoo.errors import choice_error
from artzoo.models.layers import PACKAGE

TTA_MODES = ("none", "flip", "crops")


@keras.saving.register_keras_serializable(package=PACKAGE)
class TTAViews(layers.Layer):
    """(N, S, S, C) -> (V * N, S, S, C): the views of every image, stacked view by view."""

    def __init__(self, mode: str = "flip", crop_fraction: float = 0.875, **kwargs):
        super().__init__(**kwargs)
        if mode not in TTA_MODES[1:]:
            raise choice_error("test-time augmentation", mode, TTA_MODES[1:])
        self.mode = mode
        self.crop_fraction = float(crop_fraction)

    @property
    def num_views(self) -> int:
        return 2 if self.mode == "flip" else 12

    def call(self, images):
        views = [images]
        if self.mode == "crops":
            height, width = int(images.shape[1]), int(images.shape[2])
            h, w = round(height * self.crop_fraction), round(width * self.crop_fraction)
            top, left = (height - h) // 2, (width - w) // 2
            for y, x in ((top, left), (0, 0), (0, width - w), (height - h, 0), (height - h, width - w)):
                crop = images[:, y:y + h, x:x + w, :]
                views.append(ops.image.resize(crop, (height, width), interpolation="bilinear"))
        views += [ops.flip(v, axis=2) for v in views]
        return ops.concatenate(views, axis=0)

    def compute_output_shape(self, input_shape):
        batch = None if input_shape[0] is None else input_shape[0] * self.num_views
        return (batch, *input_shape[1:])

    def get_config(self):
        return {**super().get_config(), "mode": self.mode, "crop_fraction": self.crop_fraction}


@keras.saving.register_keras_serializable(package=PACKAGE)
class ViewMean(layers.Layer):
    """(V * N, ...) stacked view by view -> (N, ...): the mean over the V views of each image."""

    def __init__(self, num_views: int = 2, **kwargs):
        super().__init__(**kwargs)
        self.num_views = int(num_views)

    def call(self, x):
        x = ops.cast(x, "float32")
        stacked = ops.reshape(x, (self.num_views, -1, *x.shape[1:]))
        return ops.mean(stacked, axis=0)

    def compute_output_shape(self, input_shape):
        batch = None if input_shape[0] is None else input_shape[0] // self.num_views
        return (batch, *input_shape[1:])

    def get_config(self):
        return {**super().get_config(), "num_views": self.num_views}


def with_tta(model: keras.Model, mode: str = "flip", crop_fraction: float = 0.875) -> keras.Model:
    """`model` (image -> {head: probabilities}) wrapped to average its probabilities over the views of `mode`;
    "none" returns `model` itself."""
    if mode == "none":
        return model
    if mode not in TTA_MODES:
        raise choice_error("test-time augmentation", mode, TTA_MODES)
    image = model.inputs[0]
    inputs = keras.Input(tuple(image.shape[1:]), name=image.name.split(":")[0] if image.name else "image")
    views = TTAViews(mode, crop_fraction, name="tta_views")
    outputs = model(views(inputs))
    if isinstance(outputs, dict):
        averaged = {head: ViewMean(views.num_views, name=head)(out) for head, out in outputs.items()}
    else:
        averaged = ViewMean(views.num_views, name="tta_mean")(outputs)
    return keras.Model(inputs, averaged, name=f"{model.name}_tta_{mode}")
