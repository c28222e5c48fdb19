"""The input side for accelerators: uint8 batches, float32 augmentation under mixed policies, the rare-class
augmenter only where rare items are, one static training batch shape, fixed epochs, caches filled before a
multi-replica fit, and steps per execution."""

import io

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from artzoo.config import AugmentConfig, DataConfig, HeadConfig, RunConfig, TrainConfig, load_task_config
from artzoo.config_checks import check_run_config
from artzoo.data.augment import build_augmenter
from artzoo.data.mixing import build_mixer
from artzoo.data.pipeline import fill_caches, make_dataset
from artzoo.data.rare_augment import rare_class_table
from artzoo.errors import ArtzooError
from artzoo.train.inputs import compiles_with_xla, drops_remainder
from artzoo.train.precision import precision_policy
from artzoo.train.strategy import Distribution

SIZE = 8
HEAD = HeadConfig(name="style", label="style")


def png(pixels: np.ndarray) -> bytes:
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, format="PNG")
    return out.getvalue()


def labelled(labels, seed=0):
    """Noisy images (so augmentation shows) of class-coded brightness; label -1: unknown."""
    rng = np.random.default_rng(seed)
    images = [png(np.clip(40 * max(c, 0) + 20 + rng.integers(0, 30, (SIZE, SIZE, 3)), 0, 255).astype(np.uint8))
              for c in labels]
    return tf.data.Dataset.from_tensor_slices((tf.constant(images), {"style": tf.constant(labels, tf.int32)}))


def batches(ds):
    return [(x, y, w) for x, y, w in ds.as_numpy_iterator()]


def test_uint8_batches_carry_the_same_pixels_and_augmented_ones_round():
    data = labelled([0, 1, 2, 0, 1, 2, 0, 1])
    plain = dict(image_size=SIZE, batch_size=4, training=True, shuffle_buffer=1)
    as_float = batches(make_dataset(data, [HEAD], {"style": 3}, **plain))
    as_uint8 = batches(make_dataset(data, [HEAD], {"style": 3}, pixels="uint8", **plain))
    for (xf, yf, wf), (xu, yu, wu) in zip(as_float, as_uint8):
        assert xf.dtype == np.float32 and xu.dtype == np.uint8
        np.testing.assert_array_equal(xu.astype(np.float32), xf)
        np.testing.assert_array_equal(yf["style"], yu["style"])

    augment = AugmentConfig(flip=True, rotation=0.1, zoom=0.1, contrast=0.2)
    # One batch: the augmenter's seeded draws follow the order batches reach it, which a parallel map does not
    # fix across batches (the CI run once saw two batches swap between the two pipelines).
    one_batch = {**plain, "batch_size": 8}  # all 8 items
    float_aug = batches(make_dataset(data, [HEAD], {"style": 3}, augmenter=build_augmenter(augment, 5), **one_batch))
    uint8_aug = batches(make_dataset(data, [HEAD], {"style": 3}, augmenter=build_augmenter(augment, 5),
                                     pixels="uint8", **one_batch))
    as_float = batches(make_dataset(data, [HEAD], {"style": 3}, **one_batch))
    differences = [np.abs(u.astype(np.float32) - f) for (f, _, _), (u, _, _) in zip(float_aug, uint8_aug)]
    assert max(d.max() for d in differences) <= 0.5 + 1e-4  # the same augmentation, rounded to whole levels
    assert any(np.abs(f - p).max() > 1 for (f, _, _), (p, _, _) in zip(float_aug, as_float))  # it did augment
    with pytest.raises(ArtzooError, match="unknown pixels 'float16'"):
        make_dataset(data, [HEAD], {"style": 3}, SIZE, 4, pixels="float16")


def test_augmentation_computes_in_float32_under_a_mixed_policy():
    augment = AugmentConfig(flip=True, rotation=0.1, zoom=0.1, contrast=0.2, brightness=0.2, rand_augment=True,
                            mix="mixup")
    with precision_policy("float16"):
        augmenter, mixer = build_augmenter(augment, 3), build_mixer(augment, 3)
    assert {layer.compute_dtype for layer in augmenter.layers} | {mixer.layer.compute_dtype} == {"float32"}
    data = labelled([0, 1, 2, 0, 1, 2, 0, 1])
    common = dict(image_size=SIZE, batch_size=8, training=True, shuffle_buffer=1)
    mixed = next(make_dataset(data, [HEAD], {"style": 3}, augmenter=augmenter, mixer=mixer, **common)
                 .as_numpy_iterator())
    reference = next(make_dataset(data, [HEAD], {"style": 3}, augmenter=build_augmenter(augment, 3),
                                  mixer=build_mixer(augment, 3), **common).as_numpy_iterator())
    assert mixed[0].dtype == np.float32
    np.testing.assert_array_equal(mixed[0], reference[0])  # as if built under the float32 policy


def test_the_rare_augmenter_runs_only_on_batches_with_rare_items_and_only_on_those():
    sizes = []

    def record(n):
        sizes.append(int(n))
        return n

    def whiten(images, training=True):
        n = tf.py_function(record, [tf.shape(images)[0]], tf.int32)
        with tf.control_dependencies([n]):
            return tf.ones_like(images) * 255.0

    labels = [0, 0, 1, 0] + [0, 2, 1, 0] + [1, 0, 0, 1] + [2, 2, -1, 0]  # class 2 is rare
    tables = {"style": rare_class_table(["big", "mid", "rare"], ["rare"])}
    ds = make_dataset(labelled(labels), [HEAD], {"style": 3}, SIZE, 4, training=True, shuffle_buffer=1,
                      rare_augmenter=whiten, rare_classes=tables)
    images = np.concatenate([x for x, _, _ in ds.as_numpy_iterator()])
    assert sizes == [1, 2]  # batches 2 and 4, their rare items only
    white = (images == 255).all(axis=(1, 2, 3))
    assert white.tolist() == [c == 2 for c in labels]


def test_training_batches_drop_the_remainder_where_xla_compiles():
    ds = make_dataset(labelled(list(range(3)) * 3 + [0]), [HEAD], {"style": 3}, SIZE, 4, training=True,
                      drop_remainder=True)
    assert ds.element_spec[0].shape.as_list() == [4, SIZE, SIZE, 3]  # one static shape
    assert [len(x) for x, _, _ in ds.as_numpy_iterator()] == [4, 4]  # 10 items: the last 2 wait for next epoch
    val = make_dataset(labelled([0, 1, 2]), [HEAD], {"style": 3}, SIZE, 2, drop_remainder=True)
    assert [len(x) for x, _, _ in val.as_numpy_iterator()] == [2, 1]  # validation keeps every item

    one, tpu = Distribution(tf.distribute.get_strategy(), "none"), Distribution(tf.distribute.get_strategy(), "tpu")
    mirrored = Distribution(tf.distribute.get_strategy(), "mirrored")
    assert compiles_with_xla("on", one) and compiles_with_xla("auto", tpu) and not compiles_with_xla("off", one)
    assert not compiles_with_xla("auto", one)  # no GPU here (tests hide them): Keras's auto means no XLA on CPU
    assert not compiles_with_xla("auto", mirrored)  # nor under a tf.distribute strategy
    def cfg(drop, jit="auto"):
        return RunConfig(data=DataConfig(drop_remainder=drop), train=TrainConfig(jit_compile=jit))

    assert drops_remainder(cfg("auto", "on"), one, 100, 32) and not drops_remainder(cfg("auto"), one, 100, 32)
    assert drops_remainder(cfg("on"), one, 100, 32) and not drops_remainder(cfg("off", "on"), one, 100, 32)
    assert not drops_remainder(cfg("auto", "on"), one, 20, 32)  # never an epoch without a batch
    with pytest.raises(ArtzooError, match="an epoch has 20 training items, fewer than one global batch of 32"):
        drops_remainder(cfg("on"), one, 20, 32)


def test_resampled_epochs_all_have_the_same_length():
    labels = [0] * 60 + [1] * 20 + [2] * 10
    ds = make_dataset(labelled(labels), [HEAD], {"style": 3}, SIZE, 16, training=True, balance="resample", seed=3,
                      drop_remainder=True)
    assert int(ds.cardinality()) == 90 // 16  # known in advance: Keras counts steps, XLA sees one shape
    lengths = {sum(len(x) for x, _, _ in ds.as_numpy_iterator()) for _ in range(6)}
    assert lengths == {16 * (90 // 16)}


def test_fill_caches_reads_each_cache_once_so_later_passes_only_read():
    reads = []

    def count(b):
        reads.append(1)
        return b

    labels = [0, 1, 2, 0, 1, 2, 0, 1, 2]
    raw = labelled(labels).map(lambda b, y: (tf.py_function(count, [b], tf.string), y))
    augment = build_augmenter(AugmentConfig(flip=True, rotation=0.1), 1)
    ds = make_dataset(raw, [HEAD], {"style": 3}, SIZE, 4, training=True, augmenter=augment)
    assert fill_caches(ds) == 1 and len(reads) == len(labels)
    for _ in range(2):
        assert sum(len(x) for x, _, _ in ds.as_numpy_iterator()) == len(labels)
    assert len(reads) == len(labels)  # the pipeline read the filled cache, not the images again
    sampled = make_dataset(labelled(labels), [HEAD], {"style": 3}, SIZE, 4, training=True, balance="sample")
    assert fill_caches(sampled, make_dataset(labelled(labels), [HEAD], {"style": 3}, SIZE, 4)) == 3 + 1
    assert fill_caches(make_dataset(labelled(labels), [HEAD], {"style": 3}, SIZE, 4, cache=False)) == 0


def test_steps_per_execution_reaches_compile_and_is_checked():
    from artzoo.models.classifier import build_classifier
    from artzoo.train.phases import compile_model

    cfg = load_task_config("genre", {"model.backbone": "cnn3", "model.weights": "none", "data.image_size": 32,
                                     "train.steps_per_execution": 4})
    model = build_classifier(cfg.model, {"genre": ["a", "b"]}, 32)
    compile_model(model, cfg, 1e-3, steps=10, epochs=1)
    assert model.steps_per_execution == 4
    with pytest.raises(ArtzooError, match="'train.steps_per_execution' is 0; expected an integer from 1"):
        check_run_config(load_task_config("genre", {"train.steps_per_execution": 0}))
