"""Mixed precision on CPU: under mixed_bfloat16 and mixed_float16 a small model (SE + self-attention) trains
with finite losses, computes in 16 bits, and keeps float32 outputs; float16 gets loss scaling."""

import csv
import math
from dataclasses import replace

import keras
import numpy as np
import pytest

from artzoo.config import HeadConfig, ModelConfig
from artzoo.errors import ArtzooError
from artzoo.models.attention_maps import attention_maps
from artzoo.models.classifier import build_classifier
from artzoo.train.optimizers import make_optimizer
from artzoo.train.precision import precision_policy, resolve_policy
from artzoo.train.runner import train
from conftest import CIFAR, requires_shared
from multihead_data import HEADS, copy_cifar_subset, multihead_data, tiny_config


@requires_shared(CIFAR)
@pytest.mark.parametrize("setting, policy, compute", [("bfloat16", "mixed_bfloat16", "bfloat16"),
                                                      ("float16", "mixed_float16", "float16")])
def test_small_model_trains_with_finite_loss_and_float32_outputs(setting, policy, compute, tmp_path):
    root = copy_cifar_subset(CIFAR, tmp_path / "cifar", per_class=5)
    cfg = tiny_config(tmp_path, mixed_precision=setting, fine_tune_epochs=0)
    cfg = replace(cfg, model=replace(cfg.model, se=True, attention=True))
    run = train(cfg, verbose=0, data=multihead_data(root))

    with open(run.history_path) as f:
        row = next(csv.DictReader(f))
    for key in ("loss", "val_loss", "class_loss", "kind_loss", "attributes_loss"):
        assert math.isfinite(float(row[key])), (key, row[key])
    assert run.read_json(run.summary_path)["precision_policy"] == policy
    assert keras.mixed_precision.global_policy().name == "float32"  # restored after training

    model = keras.models.load_model(run.model_path, safe_mode=True)
    assert model.get_layer("self_attention").compute_dtype == compute
    assert model.get_layer("backbone").get_layer("conv1").compute_dtype == compute
    images = np.random.default_rng(0).uniform(0, 255, (2, 32, 32, 3)).astype("float32")
    out = model(images)
    assert {k: v.dtype.name for k, v in out.items()} == {h.name: "float32" for h in HEADS}
    assert all(np.isfinite(v.numpy()).all() for v in out.values())
    maps = attention_maps(model, images)
    assert maps.dtype == np.float32
    np.testing.assert_allclose(maps.sum(axis=(1, 2)), 1.0, atol=1e-2)  # 16-bit softmax, float32 map


def test_float16_compiles_with_dynamic_loss_scaling():
    with precision_policy("float16"):
        cfg = ModelConfig(backbone="cnn3", weights="none", heads=(HeadConfig("label", hidden_units=16),))
        model = build_classifier(cfg, {"label": ["a", "b"]}, 32)
        model.compile(optimizer=make_optimizer(1e-3), loss={"label": "categorical_crossentropy"})
    assert isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer)
    assert model.get_layer("label_hidden").compute_dtype == "float16"  # the optional hidden layer
    assert model.get_layer("label").compute_dtype == "float32"  # the head's output layer


def test_policy_settings():
    assert resolve_policy("off") == "float32"
    assert resolve_policy("auto") == "float32"  # this CPU-only test machine
    with pytest.raises(ArtzooError, match="unknown mixed precision 'half'; expected one of: auto, off"):
        resolve_policy("half")
