"""The two-step cascade: routing on a hand-made example, the loss that trains stage 2 on rare items only, and a
cascade trained by the runner on a skewed real split whose SavedModel picks the classes the Keras model picks."""

import json

import keras
import numpy as np
import pytest
import tensorflow as tf

from artzoo.config import HeadConfig
from artzoo.errors import ArtzooError
from artzoo.models.cascade import CascadeCombine, attach_cascade_head, cascade_split, stage_names
from conftest import CIFAR, requires_shared, run_cli
from harness import run_layer_test, run_model_saving_test

NAMES = ["a", "b", "c", "d", "e"]
RARE = ("b", "d", "e")  # dominant: a, c
STAGE1 = np.array([[0.6, 0.3, 0.1],     # clearly a
                   [0.3, 0.2, 0.5],     # "other" wins stage 1 and e wins stage 2
                   [0.35, 0.25, 0.4]],  # "other" wins stage 1, but no rare class beats a once multiplied
                  np.float32)
STAGE2 = np.array([[0.2, 0.5, 0.3], [0.1, 0.1, 0.8], [0.4, 0.3, 0.3]], np.float32)


def test_soft_and_hard_routing_on_a_hand_made_example():
    dominant, rare = cascade_split(NAMES, RARE)
    assert (dominant, rare) == ([0, 2], [1, 3, 4])
    soft = np.asarray(CascadeCombine(dominant, rare, "soft")([STAGE1, STAGE2]))
    np.testing.assert_allclose(soft, [[0.6, 0.02, 0.3, 0.05, 0.03],
                                      [0.3, 0.05, 0.2, 0.05, 0.4],
                                      [0.35, 0.16, 0.25, 0.12, 0.12]], atol=1e-6)
    hard = np.asarray(CascadeCombine(dominant, rare, "hard")([STAGE1, STAGE2]))
    np.testing.assert_allclose(hard, [[0.6, 0.02, 0.3, 0.05, 0.03],   # not routed: the soft vector
                                      [0.0, 0.1, 0.0, 0.1, 0.8],      # routed: stage 2 decides
                                      [0.0, 0.4, 0.0, 0.3, 0.3]], atol=1e-6)
    assert [NAMES[i] for i in soft.argmax(1)] == ["a", "e", "a"]
    assert [NAMES[i] for i in hard.argmax(1)] == ["a", "e", "b"]
    np.testing.assert_allclose(soft.sum(1), 1.0, atol=1e-6)
    np.testing.assert_allclose(hard.sum(1), 1.0, atol=1e-6)
    trained = CascadeCombine(dominant, rare, "hard")([STAGE1, STAGE2], training=True)
    np.testing.assert_allclose(trained, soft, atol=1e-6)  # training always uses the product rule


@pytest.mark.parametrize("routing", ["soft", "hard"])
def test_cascade_combine_builds_calls_and_round_trips(routing, tmp_path):
    dominant, rare = cascade_split(NAMES, RARE)
    outputs = run_layer_test(CascadeCombine, {"dominant": dominant, "rare": rare, "routing": routing},
                             [STAGE1, STAGE2], (3, 5), tmp_path)
    assert [NAMES[i] for i in np.asarray(outputs).argmax(1)] == (["a", "e", "a"] if routing == "soft" else
                                                                   ["a", "e", "b"])


def test_bad_splits_are_clear_errors():
    with pytest.raises(ArtzooError, match="rare class 'x' is not a class of the head"):
        cascade_split(NAMES, ("x",))
    with pytest.raises(ArtzooError, match="needs both dominant and rare classes"):
        cascade_split(NAMES, ())
    with pytest.raises(ArtzooError, match="needs a softmax head"):
        attach_cascade_head(keras.Input((4,)), HeadConfig(name="t", type="sigmoid", rare_classes=RARE), NAMES)


def tiny_cascade(routing="soft"):
    head = HeadConfig(name="label", dropout=0.0, cascade=routing, rare_classes=RARE)
    features = keras.Input((4,), name="features")
    return keras.Model(features, {"label": attach_cascade_head(features, head, NAMES)})


def test_flat_loss_is_stage1_on_pooled_labels_plus_stage2_on_rare_items_only(tmp_path):
    keras.utils.set_random_seed(3)
    model = tiny_cascade()
    x = tf.constant(np.random.default_rng(0).normal(size=(6, 4)), tf.float32)
    labels = np.array([0, 2, 0, 1, 3, 4])  # a, c, a dominant; b, d, e rare
    first, second = stage_names("label")
    stage1 = keras.Model(model.input, model.get_layer(first).output)
    stage2 = keras.Model(model.input, model.get_layer(second).output)
    pooled = np.array([0, 1, 0, 2, 2, 2])  # a, c, other
    rare_index = np.array([0, 1, 2])  # b, d, e among the rare items 3..5
    cce = keras.losses.CategoricalCrossentropy(reduction="sum")
    flat = cce(tf.one_hot(labels, 5), model(x)["label"])
    parts = cce(tf.one_hot(pooled, 3), stage1(x)) + cce(tf.one_hot(rare_index, 3), stage2(x)[3:])
    np.testing.assert_allclose(flat, parts, rtol=1e-5)

    kernel2 = model.get_layer(second).kernel
    for items, expect_zero in ((slice(0, 3), True), (slice(3, 6), False)):
        with tf.GradientTape() as tape:
            loss = cce(tf.one_hot(labels[items], 5), model(x[items])["label"])
        grad = np.abs(np.asarray(tape.gradient(loss, kernel2))).max()
        assert (grad < 1e-6) if expect_zero else (grad > 1e-3), grad  # zero up to float rounding

    loaded = run_model_saving_test(model, x, tmp_path)
    assert loaded.get_layer("label").get_config()["rare"] == [1, 3, 4]


@pytest.fixture(scope="module")
def cascade_run(tmp_path_factory):
    """The runner trains a hard-routed cascade (rare classes found from the counts) on a skewed CIFAR split."""
    from artzoo.config import RunConfig, from_dict
    from artzoo.train import runner
    from skewed_cifar import skewed_labeled_data

    root = tmp_path_factory.mktemp("cascade")
    data = skewed_labeled_data(CIFAR, train=40, val=8, test=0, rare_fraction=0.25)  # 40, 40 and 10 per rare class
    cfg = from_dict(RunConfig, {
        "task": "skewed", "run_dir": str(root / "run"),
        "data": {"data_dir": "skewed", "image_size": 64, "batch_size": 32, "test_split": None,
                 "augment": {"rotation": 0.0, "zoom": 0.0, "contrast": 0.0}},
        "model": {"backbone": "mobilenet_2_5", "weights": "imagenet",
                  "heads": [{"name": "label", "dropout": 0.0, "cascade": "hard"}]},
        "train": {"epochs": 4, "fine_tune_epochs": 0, "learning_rate": 3e-3, "mixed_precision": "off"},
        "export": {"dir": str(root / "saved_models"), "name": "skewed"},
    })
    original = runner.load_labeled_data
    runner.load_labeled_data = lambda *_: data
    try:
        run = runner.train(cfg, verbose=0)
    finally:
        runner.load_labeled_data = original
    return run, data


@requires_shared(CIFAR)
def test_runner_cascade_reports_imbalance_and_its_saved_model_picks_the_same_classes(cascade_run):
    from artzoo.data.pipeline import make_dataset

    run, data = cascade_run
    config = run.config()
    assert config.model.heads[0].rare_classes == ()  # config.yaml keeps what was asked; data.json what was found
    recorded = run.read_json(run.data_path)
    assert recorded["rare_classes"] == {"label": ["airplane", "bird", "deer", "dog", "frog", "horse", "ship",
                                                  "truck"]}  # the classes below half the largest one
    report = recorded["imbalance"]
    assert report["splits"]["train"]["label"]["imbalance_ratio"] == 4.0
    assert report["warnings"] == []  # 80 of 160 in the two big classes, none above half
    summary = run.read_json(run.summary_path)
    scores = summary["imbalance"]["val"]["label"]
    assert set(scores["per_class_recall"]) == set(data.classes["label"])
    assert scores["macro_f1"] == pytest.approx(json.loads(run.metrics_path.read_text())["val"]["label"]["macro"]["f1"],
                                               abs=1e-4)

    model = keras.models.load_model(run.model_path, safe_mode=True)
    assert model.get_layer("label").routing == "hard"
    val = make_dataset(data.split("val"), config.model.heads, {"label": 10}, 64, 80, cache=False)
    images, targets, _ = next(iter(val))
    keras_classes = np.asarray(model.predict_on_batch(images)["label"]).argmax(1)
    saved_model = tf.saved_model.load(summary["export"])

    def top1(signature, **inputs):  # in requests of at most 32 images, the export's default max_batch
        (name, values), = inputs.items()
        return np.concatenate([saved_model.signatures[signature](**{name: values[i:i + 32]})["label_top_k_ids"]
                               .numpy()[:, 0] for i in range(0, len(values), 32)])

    from_pixels = top1("serving_images", images=images)
    files = tf.stack([image_bytes for image_bytes, _ in data.split("val")])  # the PNG files, decoded in the graph
    from_files = top1("serving_default", image_bytes=files)
    assert len(images) == 80 and (from_pixels == keras_classes).all() and (from_files == keras_classes).all()
    names = np.array(data.classes["label"])
    predicted = set(names[keras_classes])
    assert predicted & {"automobile", "cat"} and predicted - {"automobile", "cat"}  # both stages answer


@requires_shared(CIFAR)
def test_a_fresh_process_loads_the_cascade_run_and_exports_it(cascade_run, tmp_path):
    run, _ = cascade_run
    result = run_cli("export", str(run.root), "--format", "keras", "--out", str(tmp_path / "cascade"))
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == f"exported keras: {tmp_path / 'cascade.keras'}"
