"""Parameter counts of the registered backbones at their default input size, without a classification top.

Building all 30 entries to count them takes about a minute on a 2-core CPU (measured: 55 s), too slow for
`artzoo models list`, so the counts are kept here; `tests/test_registry.py` rebuilds the entries and checks
every number (the heavy ones under the `large` marker). An entry missing from the table is counted by
building it.
"""

from __future__ import annotations

import keras

from artzoo.models.registry import create_backbone, get_backbone_spec

PARAMETER_COUNTS = {
    "alexnet_like": 2_470_720,
    "cnn3": 93_248,
    "convnext_tiny": 27_820_128,
    "densenet121": 7_037_504,
    "efficientnet_b0": 4_049_571,
    "efficientnet_b1": 6_575_239,
    "efficientnet_b2": 7_768_569,
    "efficientnet_b3": 10_783_535,
    "efficientnet_b4": 17_673_823,
    "efficientnet_v2_b0": 5_919_312,
    "inception_v3": 21_802_784,
    "mobilenet_1_0": 3_228_864,
    "mobilenet_2_5": 218_544,
    "mobilenet_5_0": 829_536,
    "mobilenet_7_5": 1_832_976,
    "mobilenet_v2": 2_257_984,
    "mobilenet_v3_large": 2_996_352,
    "mobilenet_v3_small": 939_120,
    "nasnet_mobile": 4_269_716,
    "resnet101": 42_658_176,
    "resnet101_v2": 42_626_560,
    "resnet152": 58_370_944,
    "resnet152_v2": 58_331_648,
    "resnet50": 23_587_712,
    "resnet50_v2": 23_564_800,
    "vgg16": 14_714_688,
    "vit_base": 85_798_656,
    "vit_tiny": 5_524_416,
}


def count_parameters(name: str) -> int:
    """Builds backbone `name` with random weights at its default input size and counts its parameters."""
    spec = get_backbone_spec(name)
    model = create_backbone(name, weights=None, input_shape=(spec.default_size, spec.default_size, 3))
    count = int(model.count_params())
    del model
    keras.backend.clear_session()
    return count


def parameter_count(name: str, recount: bool = False) -> int:
    """The backbone's parameter count: from the table unless `recount` or the entry is not in it."""
    get_backbone_spec(name)  # unknown name: the registry's error
    if recount or name not in PARAMETER_COUNTS:
        return count_parameters(name)
    return PARAMETER_COUNTS[name]
