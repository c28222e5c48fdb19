"""The backbone registry: every entry builds with random weights at a small input, round-trips `.keras` with
safe_mode=True and splits into the blocks fine-tuning unfreezes; pretrained tags carry file, preprocessing and
size apart from the architecture; parameter counts are derived and cached; cached ImageNet weights load offline."""

import json
import math
import urllib.error
import urllib.request

import h5py
import keras
import numpy as np
import pytest

from artzoo.config import HeadConfig, ModelConfig
from artzoo.errors import ArtzooError
from artzoo.models.classifier import BACKBONE_NAME, build_classifier
from artzoo.models import parameter_counts
from artzoo.models.blocks import backbone_blocks, block_groups
from artzoo.models.parameter_counts import parameter_count
from artzoo.models.pretrained import PretrainedWeights
from artzoo.models.registry import (create_backbone, get_backbone_spec, get_pretrained, list_backbones,
                                    list_pretrained, register_backbone)
from conftest import run_cli
from harness import run_model_saving_test

REQUIRED = {
    "resnet50", "resnet101", "resnet152", "resnet50_v2", "resnet101_v2", "resnet152_v2",
    "mobilenet_2_5", "mobilenet_5_0", "mobilenet_7_5", "mobilenet_1_0", "mobilenet_v2",
    "mobilenet_v3_small", "mobilenet_v3_large", "densenet121", "efficientnet_b0", "efficientnet_b1",
    "efficientnet_b2", "efficientnet_b3", "efficientnet_b4", "efficientnet_v2_b0", "inception_v3", "vgg16",
    "convnext_tiny", "nasnet_mobile", "vit_base", "cnn3", "alexnet_like",
}

# Blocks fine-tuning can unfreeze, counting the stem as one: e.g. ResNet50 = stem + 3 + 4 + 6 + 3 blocks.
EXPECTED_BLOCKS = {
    "alexnet_like": 6, "cnn3": 4, "convnext_tiny": 19, "densenet121": 59, "efficientnet_b0": 17,
    "efficientnet_b1": 24, "efficientnet_b2": 24, "efficientnet_b3": 27, "efficientnet_b4": 33,
    "efficientnet_v2_b0": 22, "inception_v3": 11, "mobilenet_1_0": 14, "mobilenet_2_5": 14, "mobilenet_5_0": 14,
    "mobilenet_7_5": 14, "mobilenet_v2": 17, "mobilenet_v3_large": 16, "mobilenet_v3_small": 12,
    "nasnet_mobile": 16, "resnet101": 34, "resnet101_v2": 34, "resnet152": 51, "resnet152_v2": 51,
    "resnet50": 17, "resnet50_v2": 17, "vgg16": 6, "vit_base": 13, "vit_tiny": 13,
}

# Published counts without the top (keras.applications docs minus the classifier; cnn3 by hand: 896 + 18,496 +
# 73,856), for the entries built in the default run.
KNOWN_PARAMETERS = {"cnn3": 93_248, "mobilenet_2_5": 218_544, "mobilenet_v2": 2_257_984, "resnet50_v2": 23_564_800,
                    "vgg16": 14_714_688, "mobilenet_v3_small": 939_120, "efficientnet_b0": 4_049_571}

# Built in the default run (about a second each); the rest carry the `large` marker.
LIGHT = {"cnn3", "alexnet_like", "mobilenet_2_5", "mobilenet_v2", "mobilenet_v3_small", "efficientnet_b0",
         "resnet50_v2", "vgg16", "vit_tiny"}
CACHED = ("mobilenet_2_5", "mobilenet_7_5", "mobilenet_v2")  # the files conftest puts in the Keras cache


def _entries():
    return [pytest.param(n, marks=() if n in LIGHT else pytest.mark.large) for n in list_backbones()]


def _small_side(name: str) -> int:
    spec = get_backbone_spec(name)
    return math.ceil(max(spec.min_size, 32) / spec.multiple_of) * spec.multiple_of


def test_the_required_backbones_are_registered_each_with_its_block_count():
    names = set(list_backbones())
    assert REQUIRED <= names
    assert names == set(EXPECTED_BLOCKS)


@pytest.mark.parametrize("name", _entries())
def test_entry_builds_round_trips_and_has_its_blocks(name, tmp_path):
    side = _small_side(name)
    cfg = ModelConfig(backbone=name, weights="none", se=True, heads=(HeadConfig("label"),))
    model = build_classifier(cfg, {"label": ["a", "b", "c"]}, side)
    images = np.random.default_rng(0).uniform(0, 255, (2, side, side, 3)).astype("float32")
    run_model_saving_test(model, images, tmp_path, rtol=1e-4, atol=1e-5)

    backbone = model.get_layer(BACKBONE_NAME)
    assert len(backbone_blocks(backbone, name)) == EXPECTED_BLOCKS[name]
    if name in KNOWN_PARAMETERS:  # a convnet's parameters do not depend on the input size
        assert backbone.count_params() == KNOWN_PARAMETERS[name]


# --- architectures apart from their pretrained tags ---------------------------------------------------------
def test_an_architecture_takes_size_and_preprocessing_from_its_default_tag():
    for name, size, preprocessing in (("efficientnet_b3", 300, "none"), ("inception_v3", 299, "tf"),
                                      ("resnet50", 224, "caffe")):
        spec, tag = get_backbone_spec(name), get_pretrained(f"{name}.imagenet")
        assert (spec.default_size, spec.preprocessing) == (tag.size, tag.preprocessing) == (size, preprocessing)
        assert spec.pretrained == (tag,) and get_pretrained(name) == tag and tag.name == f"{name}.imagenet"
    vit = get_backbone_spec("vit_tiny")  # no tag: the architecture's own size and preprocessing
    assert (vit.pretrained, vit.default_size, vit.preprocessing, vit.has_imagenet) == ((), 224, "tf", False)
    assert set(list_pretrained()) == {f"{n}.imagenet" for n in list_backbones() if get_backbone_spec(n).has_imagenet}


def test_unknown_tags_and_untagged_architectures_name_the_choices():
    with pytest.raises(ArtzooError, match=r"pretrained weights of 'resnet50'.*'laion'.*imagenet"):
        get_pretrained("resnet50.laion")
    with pytest.raises(ArtzooError, match="unknown backbone 'resnet5'"):
        get_pretrained("resnet5.imagenet")
    with pytest.raises(ArtzooError, match="backbone 'cnn3' has no pretrained weights"):
        get_pretrained("cnn3")


def test_registering_a_backbone_states_only_what_differs(monkeypatch):
    from artzoo.models import registry

    monkeypatch.setattr(registry, "_ARCHITECTURES", dict(registry._ARCHITECTURES))
    monkeypatch.setattr(registry, "_TAGS", dict(registry._TAGS))
    tags = [PretrainedWeights("in21k", "tiny_in21k.h5", "torch", 160), PretrainedWeights("in1k", "t.h5", "tf")]
    register_backbone(pretrained=tags, min_size=64)(lambda weights, input_shape: None)
    spec = get_backbone_spec("<lambda>")
    assert (spec.default_size, spec.preprocessing, spec.min_size, spec.multiple_of) == (160, "torch", 64, 1)
    assert [t.name for t in spec.pretrained] == ["<lambda>.in21k", "<lambda>.in1k"]
    with pytest.raises(ValueError, match="needs preprocessing"):
        register_backbone("untagged")
    with pytest.raises(ValueError, match="unknown preprocessing 'bgr'"):
        PretrainedWeights("x", "x.h5", "bgr")


# --- parameter counts: derived by building, then cached -----------------------------------------------------
def test_parameter_counts_are_built_once_then_read_from_the_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    built = []
    monkeypatch.setattr(parameter_counts, "count_parameters", lambda name: built.append(name) or 93_248)
    assert parameter_count("cnn3") == 93_248 and parameter_count("cnn3") == 93_248
    assert built == ["cnn3"]
    stored = json.loads(parameter_counts.cache_path().read_text())
    assert stored == {f"cnn3@keras-{keras.__version__}": 93_248}
    assert parameter_count("cnn3", recount=True) == 93_248 and built == ["cnn3", "cnn3"]
    parameter_counts.cache_path().write_text("{not json")  # a damaged cache is counted again, not an error
    assert parameter_count("cnn3") == 93_248 and len(built) == 3
    with pytest.raises(ArtzooError, match="unknown backbone 'nope'"):
        parameter_count("nope")


def test_counting_builds_the_backbone_at_its_default_size():
    assert parameter_counts.count_parameters("cnn3") == KNOWN_PARAMETERS["cnn3"]
    assert parameter_counts.count_parameters("vit_tiny") == 5_524_416  # a ViT's count depends on the input size


@pytest.mark.large
def test_vit_base_parameter_count():
    assert parameter_counts.count_parameters("vit_base") == 85_798_656


# --- ImageNet weights from the local Keras cache, offline --------------------------------------------------
@pytest.fixture
def offline(monkeypatch):
    def refuse(*args, **kwargs):
        raise urllib.error.URLError("network disabled in this test")  # what urllib raises offline

    monkeypatch.setattr(urllib.request, "urlopen", refuse)
    monkeypatch.setattr(urllib.request, "urlretrieve", refuse)


def test_cached_entries_are_those_whose_files_are_in_the_cache():
    cached = [n for n in list_backbones() if get_backbone_spec(n).cached_weight_files()]
    assert cached == list(CACHED)


@pytest.mark.parametrize("name", CACHED)
def test_cached_imagenet_weights_load_offline(name, offline):
    spec = get_backbone_spec(name)
    model = create_backbone(name, weights="imagenet", input_shape=(96, 96, 3))
    layer = next(l for l in model.layers if isinstance(l, keras.layers.Conv2D))
    with h5py.File(spec.cached_weight_files()[0], "r") as f:
        stored = []
        f[layer.name].visititems(lambda key, item: stored.append(item[()]) if isinstance(item, h5py.Dataset) else None)
    np.testing.assert_array_equal(layer.get_weights()[0], stored[0])


def test_imagenet_features_are_not_random(louvre_small, offline):
    """A linear probe on ImageNet MobileNet features separates real paintings' genres; random weights do not."""
    from sklearn.linear_model import LogisticRegression

    from artzoo.data.resize import decode_rgb, resize_image
    from artzoo.models.layers import ImagePreprocessing

    def load(split):
        files = sorted(louvre_small.glob(f"{split}/*/*.jpg"))
        images = np.stack([resize_image(decode_rgb(open(f, "rb").read()), 96).numpy() for f in files])
        return images, np.array([f.parent.name for f in files])

    (x_train, y_train), (x_val, y_val) = load("train"), load("val")
    scores = {}
    for weights in ("imagenet", None):
        backbone = create_backbone("mobilenet_2_5", weights=weights, input_shape=(96, 96, 3))
        inputs = keras.Input((96, 96, 3))
        embed = keras.Model(inputs, keras.layers.GlobalAveragePooling2D()(backbone(ImagePreprocessing("tf")(inputs))))
        f_train, f_val = (embed.predict(x, verbose=0).astype(np.float32) for x in (x_train, x_val))
        probe = LogisticRegression(max_iter=2000).fit(f_train, y_train)
        scores[weights] = probe.score(f_val, y_val)
    # 4 balanced genres, 6 val paintings each: chance is 0.25 (measured: ImageNet 0.625, random 0.25).
    assert scores["imagenet"] >= 0.55, scores
    assert scores["imagenet"] >= scores[None] + 0.25, scores


def test_imagenet_weights_missing_from_the_cache_are_a_clean_error(offline):
    with pytest.raises(ArtzooError, match=r"not in the Keras cache .*resnet50_weights_tf_dim_ordering"):
        create_backbone("resnet50", weights="imagenet", input_shape=(32, 32, 3))


@pytest.mark.parametrize("name, fragment", [("vit_base", "has no ImageNet weights"),
                                            ("cnn3", "has no ImageNet weights")])
def test_entries_without_imagenet_refuse_it(name, fragment):
    with pytest.raises(ArtzooError, match=fragment):
        create_backbone(name, weights="imagenet", input_shape=(32, 32, 3))


# --- input sizes and weight files ----------------------------------------------------------------------------
@pytest.mark.parametrize("name, shape, fragment", [
    ("vit_tiny", (40, 40, 3), "each side must be a multiple of 16"),
    ("inception_v3", (64, 64, 3), "too small for backbone 'inception_v3'; minimum 75"),
    ("cnn3", (32, 32, 1), "must be (height, width, 3)"),
])
def test_unsuitable_input_shapes_are_refused(name, shape, fragment):
    with pytest.raises(ArtzooError, match=fragment.replace("(", r"\(").replace(")", r"\)")):
        create_backbone(name, weights=None, input_shape=shape)


def test_vit_loads_a_keras_hub_weights_file_and_refuses_a_mismatched_one(tmp_path):
    from keras_hub.models import ViTBackbone

    keras.utils.set_random_seed(1)
    source = ViTBackbone(image_shape=(32, 32, 3), patch_size=16, num_layers=12, num_heads=3, hidden_dim=192,
                         mlp_dim=768)
    source.save_weights(tmp_path / "vit.weights.h5")
    model = create_backbone("vit_tiny", weights=str(tmp_path / "vit.weights.h5"), input_shape=(32, 32, 3))
    inner = model.get_layer("vit_backbone")
    for got, want in zip(inner.get_weights(), source.get_weights()):
        np.testing.assert_array_equal(got, want)
    tokens = source.predict(np.ones((1, 32, 32, 3), "float32"), verbose=0)
    grid = model.predict(np.ones((1, 32, 32, 3), "float32"), verbose=0)
    assert grid.shape == (1, 2, 2, 192)
    np.testing.assert_allclose(grid.reshape(1, 4, 192), tokens[:, 1:], rtol=1e-5, atol=1e-5)  # class token dropped
    with pytest.raises(ArtzooError, match="does not fit backbone 'vit_tiny'"):
        create_backbone("vit_tiny", weights=str(tmp_path / "vit.weights.h5"), input_shape=(64, 64, 3))


def test_block_end_pattern_closes_blocks_and_trailing_layers_join_the_last():
    inputs = keras.Input((8, 8, 3), name="in")
    x = keras.layers.Conv2D(2, 1, name="conv_a")(inputs)
    x = keras.layers.Activation("relu", name="mixed0")(x)
    x = keras.layers.Conv2D(2, 1, name="conv_b")(x)
    x = keras.layers.Activation("relu", name="mixed1")(x)
    x = keras.layers.Activation("relu", name="final_relu")(x)
    groups = block_groups(keras.Model(inputs, x), end_pattern=r"^mixed\d+$")
    assert [[l.name for l in g] for g in groups] == [["in", "conv_a", "mixed0"], ["conv_b", "mixed1", "final_relu"]]


def _rows(stdout: str, names) -> dict:
    return {line.split()[0]: line.split() for line in stdout.splitlines()[1:] if line.split()
            and line.split()[0] in names}


def test_models_list_prints_parameters_size_preprocessing_and_cache():
    result = run_cli("models", "list", "--pattern", "resnet50*")
    assert result.returncode == 0, result.stderr[-2000:]
    rows = _rows(result.stdout, list_backbones())
    assert set(rows) == {"resnet50", "resnet50_v2"}
    assert rows["resnet50"][2:6] == ["23,587,712", "224", "caffe", "not"]
    result = run_cli("models", "list", "--pretrained", "--pattern", "mobilenet*")
    assert result.returncode == 0, result.stderr[-2000:]
    rows = _rows(result.stdout, list_pretrained())
    assert set(rows) == set(list_pretrained("mobilenet*"))
    assert rows["mobilenet_v2.imagenet"][1:4] == ["224", "tf", "cached"]
    assert rows["mobilenet_1_0.imagenet"][3] == "not"
    result = run_cli("models", "list", "--pattern", "mobilenet_v3*", "--recount")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "939,120" in result.stdout and "2,996,352" in result.stdout and "resnet50" not in result.stdout
