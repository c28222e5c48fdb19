"""Two-phase fine-tuning: only the top K blocks become trainable, BatchNorm stays frozen (also in a real
training step), and a keras-hub ViT's nested transformer blocks unfreeze the same way."""

import keras
import numpy as np
import pytest

from artzoo.config import HeadConfig, ModelConfig
from artzoo.models.classifier import BACKBONE_NAME, build_classifier
from artzoo.models.blocks import backbone_blocks
from artzoo.train.finetune import freeze_backbone, set_phase_trainable, unfreeze_top_blocks
from artzoo.train.optimizers import learning_rate_schedule, make_optimizer


def _model(backbone: str, size: int, weights: str = "none"):
    keras.utils.set_random_seed(0)
    cfg = ModelConfig(backbone=backbone, weights=weights, heads=(HeadConfig("label", dropout=0.0),))
    return build_classifier(cfg, {"label": ["a", "b", "c"]}, size)


def _trainable_names(layer):
    return {w.path for w in layer.trainable_weights}


def test_frozen_backbone_has_no_trainable_weight_but_the_head_has():
    model = _model("mobilenet_2_5", 32)
    freeze_backbone(model)
    assert model.get_layer(BACKBONE_NAME).trainable_weights == []
    assert {w.path for w in model.trainable_weights} == {"label/kernel", "label/bias"}


@pytest.mark.parametrize("k", [0, 1, 3])
def test_only_the_top_k_blocks_become_trainable_and_batchnorm_stays_frozen(k):
    model = _model("mobilenet_2_5", 32)
    backbone = model.get_layer(BACKBONE_NAME)
    groups = backbone_blocks(backbone, "mobilenet_2_5")
    unfrozen = unfreeze_top_blocks(model, "mobilenet_2_5", k)
    top = [l for g in groups[len(groups) - k:] for l in g] if k else []
    expected = {l.name for l in top if l.weights and not isinstance(l, keras.layers.BatchNormalization)}
    assert set(unfrozen) == expected
    if k == 3:  # conv_dw_11 .. conv_pw_13 of MobileNet v1
        assert expected == {f"conv_{kind}_{i}" for kind in ("dw", "pw") for i in (11, 12, 13)}
    for layer in backbone.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            assert not layer.trainable and layer.trainable_weights == []
        elif layer.weights:
            assert layer.trainable == (layer.name in expected), layer.name


def test_a_fine_tune_step_moves_the_top_blocks_only_and_leaves_batchnorm_statistics_alone():
    # ImageNet weights (from the test Keras cache): random ones saturate ReLU6 with BatchNorm in inference mode.
    model = _model("mobilenet_2_5", 32, weights="imagenet")
    unfreeze_top_blocks(model, "mobilenet_2_5", 2)
    backbone = model.get_layer(BACKBONE_NAME)
    watched = {name: [w.copy() for w in backbone.get_layer(name).get_weights()]
               for name in ("conv_pw_13", "conv_pw_13_bn", "conv_pw_10", "conv_pw_10_bn")}
    model.compile(optimizer=make_optimizer(1e-2), loss={"label": "categorical_crossentropy"})
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 255, (16, 32, 32, 3)).astype("float32")
    y = keras.utils.to_categorical(rng.integers(0, 3, 16), 3)
    model.fit(x, {"label": y}, epochs=2, batch_size=8, verbose=0)
    changed = {name: not all(np.array_equal(a, b) for a, b in zip(before, backbone.get_layer(name).get_weights()))
               for name, before in watched.items()}
    # BatchNorm's gamma/beta and moving statistics are all unchanged: frozen layers run in inference mode.
    assert changed == {"conv_pw_13": True, "conv_pw_13_bn": False, "conv_pw_10": False, "conv_pw_10_bn": False}


def test_vit_unfreezes_its_last_transformer_blocks_inside_the_keras_hub_encoder():
    model = _model("vit_tiny", 32)
    unfrozen = unfreeze_top_blocks(model, "vit_tiny", 2)
    assert unfrozen == ["transformer_block_11", "transformer_block_12", "ln"]
    names = _trainable_names(model.get_layer(BACKBONE_NAME))
    assert names and all("transformer_block_11" in n or "transformer_block_12" in n or "/ln/" in n for n in names)
    assert not any("patching" in n or "transformer_block_10/" in n for n in names)


@pytest.mark.parametrize("phase", ["frozen", "fine_tune"])
def test_a_backbone_trained_from_scratch_is_trainable_in_every_phase(phase):
    model = _model("alexnet_like", 64)
    set_phase_trainable(model, "alexnet_like", "none", phase, fine_tune_blocks=1)
    backbone = model.get_layer(BACKBONE_NAME)
    assert len(backbone.trainable_weights) == len(backbone.weights) - 4  # all but BN moving mean/variance x 2
    assert all(l.trainable for l in backbone.layers if isinstance(l, keras.layers.BatchNormalization))


def test_a_pretrained_backbone_is_frozen_then_partly_unfrozen(tmp_path):
    model = _model("cnn3", 32)
    model.get_layer(BACKBONE_NAME).save_weights(tmp_path / "cnn3.weights.h5")
    set_phase_trainable(model, "cnn3", str(tmp_path / "cnn3.weights.h5"), "frozen", fine_tune_blocks=1)
    assert model.get_layer(BACKBONE_NAME).trainable_weights == []
    set_phase_trainable(model, "cnn3", str(tmp_path / "cnn3.weights.h5"), "fine_tune", fine_tune_blocks=1)
    assert _trainable_names(model.get_layer(BACKBONE_NAME)) == {"conv3/kernel", "conv3/bias"}


def test_schedules_step_exponential_cosine():
    step = learning_rate_schedule(1e-3, "step", steps_per_epoch=10, epochs=30, step_epochs=10, decay_rate=0.1)
    assert float(step(99)) == pytest.approx(1e-3) and float(step(100)) == pytest.approx(1e-4)
    expo = learning_rate_schedule(1e-3, "exponential", steps_per_epoch=10, epochs=30, step_epochs=10)
    assert 1e-4 < float(expo(50)) < 1e-3 and float(expo(100)) == pytest.approx(1e-4, rel=1e-4)
    cosine = learning_rate_schedule(1e-3, "cosine", steps_per_epoch=10, epochs=5)
    assert float(cosine(0)) == pytest.approx(1e-3) and float(cosine(25)) == pytest.approx(5e-4, rel=1e-3)
    assert float(cosine(50)) == pytest.approx(0.0, abs=1e-9)
    adam = make_optimizer(1e-3, clipnorm=1.0)
    # train.clipnorm clips the global norm of the gradient summed over replicas (artzoo.train.replica_optimizers)
    settings = (adam.beta_1, adam.beta_2, adam.epsilon, adam.global_clipnorm, adam.clipnorm)
    assert settings == (0.9, 0.999, 1e-8, 1.0, None)
