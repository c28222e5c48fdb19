"""Test-time augmentation wrapper: averages exactly the views it names, makes a model mirror-invariant, and
round-trips through `.keras` with safe_mode=True."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from artzoo.config import HeadConfig, ModelConfig
from artzoo.errors import ArtzooError
from artzoo.models.classifier import build_classifier
from artzoo.models.tta import TTAViews, ViewMean, with_tta

SIZE = 32
RNG = np.random.default_rng(11)


@pytest.fixture(scope="module")
def model():
    keras.utils.set_random_seed(5)
    cfg = ModelConfig(backbone="cnn3", weights="none", heads=(HeadConfig("genre"), HeadConfig("tags", type="sigmoid")))
    return build_classifier(cfg, {"genre": ["a", "b", "c"], "tags": ["x", "y"]}, SIZE)


def images(n=3):
    return RNG.uniform(0, 255, (n, SIZE, SIZE, 3)).astype("float32")


def test_flip_mode_is_the_mean_of_the_image_and_its_mirror(model):
    x = images()
    got = with_tta(model, "flip")(x)
    plain, mirrored = model(x), model(x[:, :, ::-1])
    for head in ("genre", "tags"):
        np.testing.assert_allclose(got[head], (plain[head] + mirrored[head]) / 2, rtol=1e-5, atol=1e-6)
    assert not np.allclose(plain["genre"], mirrored["genre"], atol=1e-4)  # the views do differ


def test_flip_tta_makes_the_model_mirror_invariant(model):
    x = images()
    tta = with_tta(model, "flip")
    np.testing.assert_allclose(tta(x)["genre"], tta(x[:, :, ::-1].copy())["genre"], rtol=1e-5, atol=1e-6)


def test_crops_mode_averages_twelve_named_views(model):
    x = images(2)
    c = 28  # 0.875 of 32
    o = (SIZE - c) // 2
    crops = [x, x[:, o:o + c, o:o + c], x[:, :c, :c], x[:, :c, -c:], x[:, -c:, :c], x[:, -c:, -c:]]
    views = [x] + [tf.image.resize(v, (SIZE, SIZE), method="bilinear").numpy() for v in crops[1:]]
    views += [v[:, :, ::-1] for v in views]
    expected = np.mean([model(v)["genre"] for v in views], axis=0)
    np.testing.assert_allclose(with_tta(model, "crops")(x)["genre"], expected, rtol=1e-4, atol=1e-5)
    assert TTAViews("crops").num_views == 12


def test_wrapped_model_round_trips_through_keras_with_safe_mode(model, tmp_path):
    x = images()
    tta = with_tta(model, "crops")
    assert tta.input.name.startswith("image") and set(tta.output) == {"genre", "tags"}
    tta.save(tmp_path / "tta.keras")
    loaded = keras.models.load_model(tmp_path / "tta.keras", safe_mode=True)
    np.testing.assert_allclose(loaded(x)["tags"], tta(x)["tags"], rtol=1e-5, atol=1e-6)
    for layer in (TTAViews("crops", 0.8), ViewMean(12)):
        assert type(layer).from_config(layer.get_config()).get_config() == layer.get_config()


def test_none_is_the_model_itself_and_an_unknown_mode_is_named(model):
    assert with_tta(model, "none") is model
    with pytest.raises(ArtzooError, match=r"unknown test-time augmentation 'rotate'; expected one of: none, flip"):
        with_tta(model, "rotate")
