"""Gram pooling and `model.texture_layers`: the statistic is what it claims, ignores where things are, the
classifier gains it as a head input and round-trips through `.keras` with safe_mode=True, also in a fresh
process that imported nothing but artzoo (`artzoo.registration`), wrapped in test-time augmentation."""

import os
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest

from artzoo.config import HeadConfig, ModelConfig
from artzoo.errors import ArtzooError
from artzoo.models.classifier import BACKBONE_NAME, build_classifier
from artzoo.models.gram_pooling import GramPooling
from artzoo.models.tta import with_tta
from conftest import REPO

RNG = np.random.default_rng(3)


def test_gram_is_the_signed_root_of_the_mean_channel_coactivation():
    x = RNG.normal(size=(2, 5, 4, 3)).astype("float32")
    got = GramPooling(epsilon=0.0)(x).numpy()
    flat = x.reshape(2, 20, 3)
    gram = np.einsum("npc,npd->ncd", flat, flat) / 20
    rows, cols = np.triu_indices(3)
    expected = np.sign(gram[:, rows, cols]) * np.sqrt(np.abs(gram[:, rows, cols]))
    assert got.shape == (2, 6)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


def test_gram_ignores_where_things_are():
    x = RNG.normal(size=(1, 6, 6, 4)).astype("float32")
    shuffled = x.reshape(1, 36, 4)[:, RNG.permutation(36)].reshape(1, 6, 6, 4)
    layer = GramPooling()
    np.testing.assert_allclose(layer(x), layer(shuffled), rtol=1e-5, atol=1e-6)
    assert type(layer).from_config(layer.get_config()).get_config() == layer.get_config()
    assert keras.saving.get_registered_name(GramPooling) == "artzoo>GramPooling"


@pytest.fixture(scope="module")
def texture_model():
    keras.utils.set_random_seed(1)
    cfg = ModelConfig(backbone="mobilenet_v2", weights="none", texture_layers=("block_2_add", "block_5_add"),
                      heads=(HeadConfig("style"),))
    return build_classifier(cfg, {"style": ["a", "b", "c"]}, 64)


def test_classifier_concatenates_top_features_and_each_gram(texture_model):
    # 1280 avg-pooled + 24 * 25 / 2 + 32 * 33 / 2 Gram values
    assert texture_model.get_layer("pool").output.shape[-1] == 1280 + 300 + 528
    assert texture_model.get_layer(BACKBONE_NAME).output[0].shape[1:] == (2, 2, 1280)  # first output: last map
    images = RNG.uniform(0, 255, (2, 64, 64, 3)).astype("float32")
    probs = texture_model(images)["style"].numpy()
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)


def test_texture_classifier_round_trips_with_safe_mode(texture_model, tmp_path):
    images = RNG.uniform(0, 255, (2, 64, 64, 3)).astype("float32")
    texture_model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras", safe_mode=True)
    np.testing.assert_allclose(loaded(images)["style"], texture_model(images)["style"], rtol=1e-5, atol=1e-6)


def test_import_artzoo_alone_registers_the_gram_and_tta_layers(texture_model, tmp_path):
    """A fresh Python that imports only artzoo and Keras loads a TTA-wrapped texture model with safe_mode=True
    and gives the same probabilities (the layers are listed in artzoo.registration.KERAS_MODULES)."""
    images = RNG.uniform(0, 255, (2, 64, 64, 3)).astype("float32")
    with_tta(texture_model, "flip").save(tmp_path / "tta.keras")
    np.save(tmp_path / "images.npy", images)
    code = textwrap.dedent(f"""
        import artzoo, keras, numpy as np
        model = keras.models.load_model({str(tmp_path / "tta.keras")!r}, safe_mode=True)
        names = {{type(layer).__name__ for layer in model.layers}}
        names |= {{type(layer).__name__ for layer in model.get_layer("{texture_model.name}").layers}}
        print(sorted(n for n in names if n in ("GramPooling", "TTAViews", "ViewMean")))
        np.save({str(tmp_path / "probs.npy")!r}, model(np.load({str(tmp_path / "images.npy")!r}))["style"].numpy())
    """)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd="/", timeout=300,
                            env={**os.environ, "PYTHONPATH": str(REPO)})
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().splitlines()[-1] == "['GramPooling', 'TTAViews', 'ViewMean']"
    expected = (texture_model(images)["style"] + texture_model(images[:, :, ::-1])["style"]) / 2
    np.testing.assert_allclose(np.load(tmp_path / "probs.npy"), expected, rtol=1e-5, atol=1e-6)


def test_unknown_texture_layer_is_named():
    cfg = ModelConfig(backbone="mobilenet_v2", weights="none", texture_layers=("block_99_add",),
                      heads=(HeadConfig("style"),))
    with pytest.raises(ArtzooError, match=r"model.texture_layers: backbone .* has no layer 'block_99_add'; "
                                          r"e.g. block_2_add"):
        build_classifier(cfg, {"style": ["a", "b"]}, 64)
