"""SE, spatial self-attention and attention pooling: registered, serialisable, and doing what they claim;
the attention map has the feature map's size, sums to 1 and can be read from a built (or loaded) model."""

import keras
import numpy as np
import pytest

from artzoo.config import HeadConfig, ModelConfig
from artzoo.errors import ArtzooError
from artzoo.models.attention_maps import attention_map_model, attention_maps
from artzoo.models.classifier import BACKBONE_NAME, build_classifier
from artzoo.models.layers import (AttentionPooling, ImagePreprocessing, PatchTokenGrid, SpatialSelfAttention,
                                  SqueezeExcitation)
from harness import run_layer_test, run_model_saving_test

LAYERS = [ImagePreprocessing, SqueezeExcitation, SpatialSelfAttention, AttentionPooling, PatchTokenGrid]
RNG = np.random.default_rng(7)


@pytest.mark.parametrize("cls", LAYERS)
def test_layer_is_registered_under_artzoo(cls):
    assert keras.saving.get_registered_name(cls) == f"artzoo>{cls.__name__}"
    assert keras.saving.get_registered_object(f"artzoo>{cls.__name__}") is cls


@pytest.mark.parametrize("cls, init_kwargs, input_shape, output_shape", [
    (SqueezeExcitation, {"ratio": 4}, (2, 3, 3, 8), (2, 3, 3, 8)),
    (SpatialSelfAttention, {"key_ratio": 2}, (2, 3, 4, 8), ((2, 3, 4, 8), (2, 3, 4))),
    (AttentionPooling, {"num_heads": 2}, (2, 3, 4, 8), (2, 8)),
    (ImagePreprocessing, {"mode": "caffe"}, (2, 4, 4, 3), (2, 4, 4, 3)),
    (PatchTokenGrid, {"grid_height": 2, "grid_width": 3, "skip_tokens": 1}, (2, 7, 5), (2, 2, 3, 5)),
])
def test_layer_builds_calls_and_round_trips(cls, init_kwargs, input_shape, output_shape, tmp_path):
    data = RNG.uniform(0, 255, input_shape).astype("float32")
    run_layer_test(cls, init_kwargs, data, output_shape, tmp_path)


@pytest.fixture(scope="module")
def attention_model():
    cfg = ModelConfig(backbone="cnn3", weights="none", se=True, attention=True, pooling="attention",
                      heads=(HeadConfig("genre"), HeadConfig("tags", type="sigmoid")))
    keras.utils.set_random_seed(3)
    return build_classifier(cfg, {"genre": ["a", "b", "c"], "tags": ["x", "y"]}, 48)


def test_classifier_with_se_attention_and_attention_pooling_round_trips(attention_model, tmp_path):
    images = RNG.uniform(0, 255, (3, 48, 48, 3)).astype("float32")
    loaded = run_model_saving_test(attention_model, images, tmp_path)
    np.testing.assert_allclose(attention_maps(loaded, images), attention_maps(attention_model, images), atol=1e-6)


def test_attention_map_has_the_feature_map_size_and_sums_to_one(attention_model):
    images = RNG.uniform(0, 255, (4, 48, 48, 3)).astype("float32")
    features = attention_model.get_layer(BACKBONE_NAME).output.shape  # cnn3 at 48 px: (None, 6, 6, 128)
    maps = attention_maps(attention_model, images)
    assert maps.shape == (4, features[1], features[2]) == (4, 6, 6)
    assert maps.dtype == np.float32 and (maps >= 0).all()
    np.testing.assert_allclose(maps.sum(axis=(1, 2)), 1.0, atol=1e-5)
    assert not np.allclose(maps[0], maps[0].mean())  # not a uniform map: it depends on the image
    up = attention_maps(attention_model, images, size=48)
    assert up.shape == (4, 48, 48)
    np.testing.assert_allclose(up.sum(axis=(1, 2)), 1.0, atol=1e-5)


def test_attention_map_model_shares_the_trained_weights(attention_model):
    map_model = attention_map_model(attention_model)
    layer = attention_model.get_layer("self_attention")
    assert any(w is layer.query.kernel for w in map_model.weights)


def test_model_without_attention_has_no_map():
    cfg = ModelConfig(backbone="cnn3", weights="none", heads=(HeadConfig("genre"),))
    model = build_classifier(cfg, {"genre": ["a", "b"]}, 32)
    with pytest.raises(ArtzooError, match="has 0 self-attention layers; expected one"):
        attention_map_model(model)


def test_self_attention_starts_as_identity_and_reweights_once_gamma_moves():
    features = RNG.normal(size=(2, 5, 4, 16)).astype("float32")
    layer = SpatialSelfAttention()
    out, attention_map = layer(features)
    np.testing.assert_allclose(out.numpy(), features, atol=1e-6)  # gamma = 0
    assert attention_map.shape == (2, 5, 4)
    layer.gamma.assign(1.0)
    out, _ = layer(features)
    assert not np.allclose(out.numpy(), features, atol=1e-3)


def test_squeeze_excitation_scales_each_channel_by_one_gate_in_0_1():
    features = RNG.uniform(0.5, 1.5, size=(2, 6, 6, 32)).astype("float32")
    out = SqueezeExcitation(ratio=8)(features).numpy()
    gates = out / features
    np.testing.assert_allclose(gates, gates[:, :1, :1, :].repeat(6, 1).repeat(6, 2), rtol=1e-5)  # per channel
    assert ((gates > 0) & (gates < 1)).all()


def test_attention_pooling_ignores_the_order_of_positions():
    features = RNG.normal(size=(2, 3, 4, 8)).astype("float32")
    layer = AttentionPooling(num_heads=2)
    pooled = layer(features).numpy()
    shuffled = features.reshape(2, 12, 8)[:, RNG.permutation(12)].reshape(2, 3, 4, 8)
    assert pooled.shape == (2, 8)
    np.testing.assert_allclose(layer(shuffled).numpy(), pooled, rtol=1e-5, atol=1e-6)


def test_patch_token_grid_drops_the_class_token_and_keeps_row_major_order():
    tokens = np.arange(2 * 7 * 3, dtype="float32").reshape(2, 7, 3)  # class token + 2 x 3 patches
    grid = PatchTokenGrid(2, 3)(tokens).numpy()
    assert grid.shape == (2, 2, 3, 3)
    np.testing.assert_array_equal(grid[:, 1, 0], tokens[:, 4])
