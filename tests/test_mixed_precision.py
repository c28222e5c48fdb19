"""Mixed precision on CPU: under mixed_bfloat16 and mixed_float16 a small model (SE + self-attention) trains
with finite losses, computes in 16 bits, and keeps float32 outputs; float16 gets loss scaling; the trained model
is rebuilt in float32 for export (every format), CPU inference, Grad-CAM and attention maps."""

import csv
import math
from dataclasses import replace

import keras
import numpy as np
import pytest
import tensorflow as tf

from artzoo.config import ExportConfig, HeadConfig, ModelConfig
from artzoo.errors import ArtzooError
from artzoo.models.attention_maps import attention_maps
from artzoo.models.classifier import build_classifier
from artzoo.models.float32_clone import float32_clone, training_precision
from artzoo.models.layers import SpatialSelfAttention
from artzoo.train.optimizers import make_optimizer
from artzoo.train.precision import auto_policy, precision_policy, resolve_policy
from artzoo.train.replica_optimizers import CrossReplicaLossScaleOptimizer
from artzoo.train.runner import train
from conftest import CIFAR, requires_shared
from multihead_data import HEADS, copy_cifar_subset, multihead_data, tiny_config

_RUNS = {}


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """`trained(setting)`: a run of the tiny SE + attention model under that precision (each trained once);
    the float16 run also exports its SavedModel at the end of training."""

    def run(setting):
        if setting not in _RUNS:
            root = tmp_path_factory.mktemp(setting)
            data = copy_cifar_subset(CIFAR, root / "cifar", per_class=5)
            cfg = tiny_config(root, mixed_precision=setting, fine_tune_epochs=0)
            cfg = replace(cfg, model=replace(cfg.model, se=True, attention=True),
                          export=ExportConfig(enabled=setting == "float16", dir=str(root / "saved_models")))
            _RUNS[setting] = train(cfg, verbose=0, data=multihead_data(data))
        return _RUNS[setting]

    return run


@requires_shared(CIFAR)
@pytest.mark.parametrize("setting, policy, compute", [("bfloat16", "mixed_bfloat16", "bfloat16"),
                                                      ("float16", "mixed_float16", "float16")])
def test_small_model_trains_with_finite_loss_and_float32_outputs(setting, policy, compute, trained):
    run = trained(setting)
    with open(run.history_path) as f:
        row = next(csv.DictReader(f))
    for key in ("loss", "val_loss", "class_loss", "kind_loss", "attributes_loss"):
        assert math.isfinite(float(row[key])), (key, row[key])
    assert run.read_json(run.summary_path)["precision_policy"] == policy
    assert keras.mixed_precision.global_policy().name == "float32"  # restored after training

    model = keras.models.load_model(run.model_path, safe_mode=True)
    assert model.get_layer("self_attention").compute_dtype == compute
    assert model.get_layer("backbone").get_layer("conv1").compute_dtype == compute
    assert training_precision(model) == policy
    if setting == "float16":
        assert isinstance(model.optimizer, CrossReplicaLossScaleOptimizer)
    images = np.random.default_rng(0).uniform(0, 255, (2, 32, 32, 3)).astype("float32")
    out = model(images)
    assert {k: v.dtype.name for k, v in out.items()} == {h.name: "float32" for h in HEADS}
    assert all(np.isfinite(v.numpy()).all() for v in out.values())

    clone = float32_clone(model)
    assert {layer.dtype_policy.name for layer in clone._flatten_layers()} == {"float32"}
    for a, b in zip(clone.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)  # the trained weights, unchanged
    maps = attention_maps(model, images)  # computed on the float32 clone
    assert maps.dtype == np.float32
    np.testing.assert_allclose(maps.sum(axis=(1, 2)), 1.0, atol=1e-5)
    np.testing.assert_allclose(maps, attention_maps(clone, images), atol=1e-7)


def half_precision_ops(graph_def) -> list[str]:
    """Names of the nodes of a GraphDef (functions included) with a float16 or bfloat16 type attribute."""
    half = {tf.float16.as_datatype_enum, tf.bfloat16.as_datatype_enum}
    nodes = list(graph_def.node) + [n for f in graph_def.library.function for n in f.node_def]
    return [n.name for n in nodes
            if any(a.type in half or set(a.list.type) & half for a in n.attr.values())]


@requires_shared(CIFAR)
def test_a_float16_trained_model_exports_to_every_format_computing_in_float32(trained, tmp_path):
    import onnx

    from artzoo.export.exporter import FORMATS, export_run_dir
    from artzoo.export.parity import PRECISION_TOLERANCE, TOLERANCE, parity_inputs
    from artzoo.export.saved_model import read_metadata
    from artzoo.exported_model import open_exported

    run = trained("float16")
    model = keras.models.load_model(run.model_path, safe_mode=True)
    pixels = parity_inputs(32)
    in_float32 = {k: v.numpy() for k, v in float32_clone(model)(pixels).items()}
    as_trained = {k: v.numpy() for k, v in model(pixels).items()}
    # The check can see 16 bits: the trained model's own graph holds float16 ops.
    assert half_precision_ops(tf.function(model).get_concrete_function(
        tf.TensorSpec([None, 32, 32, 3], tf.float32)).graph.as_graph_def())

    version = run.read_json(run.summary_path)["export"]  # written at the end of the float16 training
    exported = {"saved_model": version, **{fmt: export_run_dir(run.root, fmt, tmp_path / fmt)
                                           for fmt in FORMATS if fmt != "saved_model"}}
    for fmt, path in exported.items():
        if fmt == "saved_model":
            loaded = tf.saved_model.load(str(path))
            serve = loaded.signatures["serving_images"]
            assert half_precision_ops(serve.graph.as_graph_def()) == []
            probs = {h.name: serve(images=tf.constant(pixels))[f"{h.name}_probabilities"].numpy() for h in HEADS}
            record = read_metadata(path)["precision"]
        else:
            opened = open_exported(path)
            probs = opened.probabilities(pixels)
            record = opened.spec.extra["precision"]
        assert record["trained"] == "mixed_float16" and record["exported"] == "float32", fmt
        for head in HEADS:
            got = np.asarray(probs[head.name])
            assert got.dtype == np.float32, (fmt, head.name)
            np.testing.assert_allclose(got, in_float32[head.name], atol=TOLERANCE[fmt], err_msg=fmt)
            np.testing.assert_allclose(got, as_trained[head.name], atol=PRECISION_TOLERANCE["mixed_float16"])
    assert training_precision(keras.models.load_model(exported["keras"], safe_mode=True)) == "float32"
    proto = onnx.load(str(exported["onnx"]))
    assert onnx.TensorProto.FLOAT16 not in {t.data_type for t in proto.graph.initializer}
    assert not [n for n in proto.graph.node if n.op_type == "Cast" and any(
        a.name == "to" and a.i in (onnx.TensorProto.FLOAT16, onnx.TensorProto.BFLOAT16) for a in n.attribute)]
    interpreter = open_exported(exported["tflite"])._interpreter
    assert {d["dtype"] for d in interpreter.get_tensor_details()} & {np.float16} == set()


@requires_shared(CIFAR)
def test_grad_cam_of_a_16_bit_model_is_the_float32_clones(trained):
    from artzoo.reporting.gradcam import grad_cam

    model = keras.models.load_model(trained("bfloat16").model_path, safe_mode=True)
    images = np.random.default_rng(3).uniform(0, 255, (3, 32, 32, 3)).astype("float32")
    maps, chosen, scores = grad_cam(model, images, "class")
    clone_maps, clone_chosen, _ = grad_cam(float32_clone(model), images, "class")
    np.testing.assert_array_equal(chosen, clone_chosen)
    np.testing.assert_allclose(maps, clone_maps, atol=1e-6)
    assert maps.shape == (3, 32, 32) and (maps.max(axis=(1, 2)) == 1.0).all()  # not blank
    assert ((0 < scores) & (scores <= 1)).all()


def test_self_attention_scales_before_the_product_and_softmaxes_in_float32():
    """q.k = 16 x 90 x 90 = 129600 overflows float16 (max 65504); q / sqrt(16) first gives 32400, which fits."""
    channels, key_dim = 128, 16
    with precision_policy("float16"):
        layer = SpatialSelfAttention(key_ratio=channels // key_dim)
        layer.build((None, 7, 7, channels))
    for conv in (layer.query, layer.key):
        conv.kernel.assign(np.full(conv.kernel.shape, 90.0 / channels, "float32"))
    layer.gamma.assign(1.0)
    features, attention_map = layer(tf.ones((2, 7, 7, channels)))
    assert features.dtype == tf.float16 and attention_map.dtype == tf.float32
    assert np.isfinite(features.numpy()).all()
    np.testing.assert_allclose(attention_map.numpy(), 1.0 / 49, rtol=1e-6)  # equal scores: uniform attention


def test_float16_compiles_with_cross_replica_dynamic_loss_scaling():
    with precision_policy("float16"):
        cfg = ModelConfig(backbone="cnn3", weights="none", heads=(HeadConfig("label", hidden_units=16),))
        model = build_classifier(cfg, {"label": ["a", "b"]}, 32)
        model.compile(optimizer=make_optimizer(1e-3), loss={"label": "categorical_crossentropy"})
    assert isinstance(model.optimizer, CrossReplicaLossScaleOptimizer)
    assert model.get_layer("label_hidden").compute_dtype == "float16"  # the optional hidden layer
    assert model.get_layer("label").compute_dtype == "float32"  # the head's output layer


def test_policy_settings():
    assert resolve_policy("off") == "float32"
    assert resolve_policy("auto") == "float32"  # tests see no GPU (conftest hides any)
    assert auto_policy([]) == "float32"
    assert auto_policy([(9, 0)]) == auto_policy([(8, 0), (8, 6)]) == "mixed_bfloat16"  # H100/H200, A100
    assert auto_policy([(7, 5)]) == "mixed_float16"  # T4: no bfloat16 tensor cores
    assert auto_policy([(9, 0), (7, 0)]) == "mixed_float16"  # the oldest GPU decides
    assert resolve_policy("auto", capabilities=[(8, 0)]) == "mixed_bfloat16"
    with pytest.raises(ArtzooError, match="unknown mixed precision 'half'; expected one of: auto, off"):
        resolve_policy("half")
