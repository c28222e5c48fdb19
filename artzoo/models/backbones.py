"""The registered backbones: keras.applications families (ImageNet weights through Keras's cache) and the
seed studies' from-scratch baselines. Each returns its last feature map; pooling and heads come later."""

from __future__ import annotations

import keras
from keras import layers

from artzoo.errors import ArtzooError
from artzoo.models.pretrained import imagenet
from artzoo.models.registry import register_backbone

apps = keras.applications


def _flexible(weights, input_shape):
    """MobileNet v1/v2 pick their weight file by input size; built with free spatial dims they use the 224
    file, which is what the Keras cache holds. Conv weights do not depend on the input size."""
    return None if weights == "imagenet" else input_shape


# --- MobileNet v1 ------------------------------------------------------------------------------------------
def _mobilenet_v1(alpha: float, alpha_text: str):
    def build(weights, input_shape):
        return apps.MobileNet(
            include_top=False, weights=weights, input_shape=_flexible(weights, input_shape), alpha=alpha
        )

    register_backbone(
        f"mobilenet_{alpha_text}",
        pretrained=[imagenet(f"mobilenet_{alpha_text}_224_tf_no_top.h5", "tf")],
        block_pattern=r"^conv_(?:dw_|pw_|pad_)(\d+)",
        family="MobileNet",
    )(build)


for _alpha, _text in ((0.25, "2_5"), (0.5, "5_0"), (0.75, "7_5"), (1.0, "1_0")):
    _mobilenet_v1(_alpha, _text)


# --- MobileNet v2 / v3 -------------------------------------------------------------------------------------
@register_backbone(
    pretrained=[imagenet("mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224_no_top.h5", "tf")],
    block_pattern=r"^block_(\d+)_",
    family="MobileNetV2",
)
def mobilenet_v2(weights, input_shape):
    return apps.MobileNetV2(include_top=False, weights=weights, input_shape=_flexible(weights, input_shape))


@register_backbone(
    # MobileNetV3 rescales inside the model: preprocessing none
    pretrained=[imagenet("weights_mobilenet_v3_small_224_1.0_float_no_top_v2.h5", "none")],
    block_pattern=r"^expanded_conv_?(\d*)_",
    family="MobileNetV3",
)
def mobilenet_v3_small(weights, input_shape):
    return apps.MobileNetV3Small(include_top=False, weights=weights, input_shape=input_shape)


@register_backbone(
    pretrained=[imagenet("weights_mobilenet_v3_large_224_1.0_float_no_top_v2.h5", "none")],
    block_pattern=r"^expanded_conv_?(\d*)_",
    family="MobileNetV3",
)
def mobilenet_v3_large(weights, input_shape):
    return apps.MobileNetV3Large(include_top=False, weights=weights, input_shape=input_shape)


# --- ResNet v1 / v2 ----------------------------------------------------------------------------------------
def _resnet(name: str, constructor, preprocessing: str, weights_name: str):
    def build(weights, input_shape):
        return constructor(include_top=False, weights=weights, input_shape=input_shape)

    register_backbone(
        name,
        pretrained=[imagenet(f"{weights_name}_weights_tf_dim_ordering_tf_kernels_notop.h5", preprocessing)],
        block_pattern=r"^(conv\d_block\d+)_",
        family="ResNetV2" if name.endswith("v2") else "ResNet",
    )(build)


for _depth in (50, 101, 152):
    _resnet(f"resnet{_depth}", getattr(apps, f"ResNet{_depth}"), "caffe", f"resnet{_depth}")
    _resnet(f"resnet{_depth}_v2", getattr(apps, f"ResNet{_depth}V2"), "tf", f"resnet{_depth}v2")


# --- DenseNet, EfficientNet, Inception, VGG, ConvNeXt, NASNet ---------------------------------------------
@register_backbone(
    pretrained=[imagenet("densenet121_weights_tf_dim_ordering_tf_kernels_notop.h5", "torch")],
    block_pattern=r"^(conv\d_block\d+)_",
    family="DenseNet",
)
def densenet121(weights, input_shape):
    return apps.DenseNet121(include_top=False, weights=weights, input_shape=input_shape)


def _efficientnet(index: int, size: int):
    constructor = getattr(apps, f"EfficientNetB{index}")

    def build(weights, input_shape):
        return constructor(include_top=False, weights=weights, input_shape=input_shape)

    register_backbone(
        f"efficientnet_b{index}",
        # EfficientNet rescales and normalises inside the model: preprocessing none
        pretrained=[imagenet(f"efficientnetb{index}_notop.h5", "none", size=size)],
        block_pattern=r"^block(\d+[a-z])_",
        family="EfficientNet",
    )(build)


for _index, _size in enumerate((224, 240, 260, 300, 380)):
    _efficientnet(_index, _size)


@register_backbone(
    pretrained=[imagenet("efficientnetv2-b0_notop.h5", "none")],
    block_pattern=r"^block(\d+[a-z])_",
    family="EfficientNetV2",
)
def efficientnet_v2_b0(weights, input_shape):
    return apps.EfficientNetV2B0(include_top=False, weights=weights, input_shape=input_shape)


@register_backbone(
    pretrained=[imagenet("inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5", "tf", size=299)],
    block_end_pattern=r"^mixed\d+$",  # mixed0..mixed10 concatenate each Inception module's branches
    min_size=75,
    family="InceptionV3",
)
def inception_v3(weights, input_shape):
    return apps.InceptionV3(include_top=False, weights=weights, input_shape=input_shape)


@register_backbone(
    pretrained=[imagenet("vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5", "caffe")],
    block_pattern=r"^(block\d)_",
    family="VGG",
)
def vgg16(weights, input_shape):
    return apps.VGG16(include_top=False, weights=weights, input_shape=input_shape)


@register_backbone(
    pretrained=[imagenet("convnext_tiny_notop.h5", "none")],  # ConvNeXt normalises inside the model
    block_pattern=r"_(stage_\d_block_\d+)_",
    family="ConvNeXt",
)
def convnext_tiny(weights, input_shape):
    return apps.ConvNeXtTiny(include_top=False, weights=weights, input_shape=input_shape)


@register_backbone(
    pretrained=[imagenet("nasnet_mobile_no_top.h5", "tf")],
    block_end_pattern=r"^(?:normal|reduction)_concat_",  # each cell ends by concatenating its branches
    family="NASNet",
)
def nasnet_mobile(weights, input_shape):
    if weights == "imagenet" and tuple(input_shape[:2]) != (224, 224):
        raise ArtzooError(f"nasnet_mobile ImageNet weights need 224x224 inputs, got {input_shape[0]}x{input_shape[1]}")
    return apps.NASNetMobile(include_top=False, weights=weights, input_shape=input_shape)


# --- from-scratch baselines of the seed studies -----------------------------------------------------------
@register_backbone(default_size=64, preprocessing="unit", block_pattern=r"^(conv\d)", min_size=16, family="baseline")
def cnn3(weights, input_shape):
    """The Met study's small CNN: three conv layers, max pooling and dropout."""
    _no_imagenet("cnn3", weights)
    inputs = keras.Input(input_shape, name="cnn3_input")
    x = inputs
    for i, filters in enumerate((32, 64, 128), start=1):
        x = layers.Conv2D(filters, 3, padding="same", activation="relu", name=f"conv{i}")(x)
        x = layers.MaxPooling2D(2, name=f"conv{i}_pool")(x)
        x = layers.Dropout(0.25, name=f"conv{i}_dropout")(x)
    return keras.Model(inputs, x, name="cnn3")


@register_backbone(
    default_size=128, preprocessing="unit", block_pattern=r"^(conv\d)", min_size=32, family="baseline"
)
def alexnet_like(weights, input_shape):
    """An AlexNet-like net (five conv layers, overlapping max pooling, dropout) as in the Met study."""
    _no_imagenet("alexnet_like", weights)
    inputs = keras.Input(input_shape, name="alexnet_input")
    x = layers.Conv2D(64, 11, strides=4, padding="same", activation="relu", name="conv1")(inputs)
    x = layers.BatchNormalization(name="conv1_bn")(x)
    x = layers.MaxPooling2D(3, strides=2, padding="same", name="conv1_pool")(x)
    x = layers.Conv2D(192, 5, padding="same", activation="relu", name="conv2")(x)
    x = layers.BatchNormalization(name="conv2_bn")(x)
    x = layers.MaxPooling2D(3, strides=2, padding="same", name="conv2_pool")(x)
    x = layers.Conv2D(384, 3, padding="same", activation="relu", name="conv3")(x)
    x = layers.Conv2D(256, 3, padding="same", activation="relu", name="conv4")(x)
    x = layers.Conv2D(256, 3, padding="same", activation="relu", name="conv5")(x)
    x = layers.MaxPooling2D(3, strides=2, padding="same", name="conv5_pool")(x)
    x = layers.Dropout(0.5, name="conv5_dropout")(x)
    return keras.Model(inputs, x, name="alexnet_like")


def _no_imagenet(name: str, weights) -> None:
    if weights == "imagenet":
        raise ArtzooError(f"backbone {name!r} is trained from scratch; use weights none or a file path")

