"""Input-pipeline options measured by their effect: undersampling, resampling, MixUp / CutMix, RandAugment,
per-head targets and masks."""

import io

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from artzoo.config import AugmentConfig, HeadConfig, load_task_config
from artzoo.data.augment import build_augmenter
from artzoo.data.balance import resample_rates, undersample_mask
from artzoo.data.mixing import build_mixer
from artzoo.data.pipeline import make_dataset
from artzoo.errors import ArtzooError

SIZE = 8
HEAD = HeadConfig(name="style", label="style")


def flat_png(value: int) -> bytes:
    out = io.BytesIO()
    Image.fromarray(np.full((SIZE, SIZE, 3), value, np.uint8)).save(out, format="PNG")
    return out.getvalue()


def labelled_data(labels, tags=None):
    """Flat images whose grey level is 40 * class + 20, so the pixels say which class they came from."""
    images = [flat_png(40 * max(c, 0) + 20) for c in labels]
    ys = {"style": tf.constant(labels, tf.int32)}
    if tags is not None:
        ys["tags"] = tf.constant(tags, tf.float32)
    return tf.data.Dataset.from_tensor_slices((tf.constant(images), ys))


def epoch_labels(ds, head="style"):
    return np.concatenate([np.argmax(y[head], axis=1) for _, y, _ in ds.as_numpy_iterator()])


def test_undersampling_gives_equal_counts_once_and_deterministically():
    labels = [0] * 30 + [1] * 10 + [2] * 5 + [-1] * 3
    ds = make_dataset(labelled_data(labels), [HEAD], {"style": 3}, SIZE, 7, training=True, balance="undersample",
                      seed=1)
    first, second = epoch_labels(ds), epoch_labels(ds)
    assert np.bincount(first).tolist() == [5, 5, 5]  # every class cut to the smallest; unlabelled left out
    assert sorted(first) == sorted(second)
    assert undersample_mask(np.array(labels), 1).tolist() == undersample_mask(np.array(labels), 1).tolist()
    assert undersample_mask(np.array(labels), 1).tolist() != undersample_mask(np.array(labels), 2).tolist()


def test_resampling_makes_class_frequencies_uniform_over_epochs():
    labels = [0] * 60 + [1] * 20 + [2] * 10  # 67 %, 22 %, 11 %
    assert resample_rates([60, 20, 10]) == pytest.approx([0.5, 1.5, 3.0])
    ds = make_dataset(labelled_data(labels), [HEAD], {"style": 3}, SIZE, 16, training=True, balance="resample",
                      shuffle_buffer=128, seed=3)
    epochs = [epoch_labels(ds) for _ in range(25)]
    drawn = np.concatenate(epochs)
    frequencies = np.bincount(drawn, minlength=3) / len(drawn)
    assert frequencies == pytest.approx([1 / 3] * 3, abs=0.03)
    assert {len(e) for e in epochs} == {90}  # every epoch keeps exactly n items (a fixed epoch length)
    assert len({tuple(e) for e in epochs}) > 20  # drawn anew every epoch


def test_balance_needs_a_softmax_head_and_a_known_mode():
    tags = HeadConfig(name="tags", label="tags", type="sigmoid")
    data = labelled_data([0, 1], tags=[[1.0, 0.0], [0.0, 1.0]]).map(lambda x, y: (x, {"tags": y["tags"]}))
    with pytest.raises(ArtzooError, match="needs a softmax head"):
        make_dataset(data, [tags], {"tags": 2}, SIZE, 2, training=True, balance="resample")
    with pytest.raises(ArtzooError, match=r"unknown data.balance 'oversample'; expected one of: none, undersample"):
        make_dataset(data, [tags], {"tags": 2}, SIZE, 2, training=True, balance="oversample")
    with pytest.raises(ArtzooError, match=r"data.balance"):
        load_task_config("genre", {"data.balance": "oversample"})


def mixed_batch(mix, labels, tags=None, seed=0):
    heads = [HEAD] + ([HeadConfig(name="tags", label="tags", type="sigmoid")] if tags is not None else [])
    mixer = build_mixer(AugmentConfig(mix=mix, mixup_alpha=1.0), seed)
    num = {"style": 3, "tags": 2}
    ds = make_dataset(labelled_data(labels, tags), heads, num, SIZE, len(labels), training=True, mixer=mixer,
                      shuffle_buffer=1, seed=seed)
    return next(ds.as_numpy_iterator())


def test_mixup_mixes_pixels_and_targets_by_the_same_weight():
    images, targets, weights = mixed_batch("mixup", [0, 1, 2, 0, 1, 2, 0, 1])
    y = targets["style"]
    assert np.allclose(y.sum(axis=1), 1.0) and not np.all(np.isin(y, (0.0, 1.0)))  # soft targets
    expected_grey = y @ np.array([20.0, 60.0, 100.0])  # grey level = 40 * class + 20, mixed like the target
    assert np.allclose(images[:, :, :, 0].mean(axis=(1, 2)), expected_grey, atol=0.6)
    assert np.allclose(weights["style"], 1.0)


def test_cutmix_pastes_a_patch_whose_area_is_the_target_share():
    images, targets, _ = mixed_batch("cutmix", [0, 1, 2, 0, 1, 2, 0, 1], seed=4)
    greys = np.array([20.0, 60.0, 100.0])
    for image, target in zip(images[..., 0], targets["style"]):
        assert set(np.unique(image)) <= set(greys)  # every pixel from one of the two sources, none blended
        share = np.array([(image == g).mean() for g in greys])
        assert np.allclose(share, target, atol=1e-6)


def test_mixing_masks_a_head_when_either_source_lacks_its_label():
    labels = [0, -1, 1, 2, 0, 1]
    _, _, weights = mixed_batch("mixup", labels, tags=[[1, 0], [0, 1], [-1, -1], [1, 1], [0, 1], [1, 0]], seed=2)
    assert np.isin(weights["style"], (0.0, 1.0)).all()
    assert (weights["style"] == 0).sum() >= 1 and (weights["tags"] == 0).sum() >= 1
    plain = make_dataset(labelled_data(labels), [HEAD], {"style": 3}, SIZE, 6)
    assert next(plain.as_numpy_iterator())[2]["style"].tolist() == [1, 0, 1, 1, 1, 1]


def test_rand_augment_changes_images_within_range():
    augmenter = build_augmenter(AugmentConfig(flip=False, rotation=0, zoom=0, contrast=0, rand_augment=True,
                                              rand_augment_factor=0.9), seed=5)
    assert [type(layer).__name__ for layer in augmenter.layers] == ["RandAugment"]
    rng = np.random.default_rng(0)
    batch = tf.constant(rng.integers(0, 256, (4, 16, 16, 3)), tf.float32)
    outputs = [np.asarray(augmenter(batch, training=True)) for _ in range(3)]
    assert all(not np.allclose(out, batch) for out in outputs)
    ds = make_dataset(labelled_data([0, 1, 2, 0]), [HEAD], {"style": 3}, SIZE, 4, training=True, augmenter=augmenter)
    images = next(ds.as_numpy_iterator())[0]
    assert images.min() >= 0.0 and images.max() <= 255.0


def test_each_head_gets_its_own_target_and_mask():
    tags = [[1, 0], [-1, -1], [0, 1]]
    heads = [HEAD, HeadConfig(name="tags", label="tags", type="sigmoid")]
    ds = make_dataset(labelled_data([2, 0, -1], tags), heads, {"style": 3, "tags": 2}, SIZE, 3)
    _, y, w = next(ds.as_numpy_iterator())
    assert y["style"].tolist() == [[0, 0, 1], [1, 0, 0], [1, 0, 0]] and w["style"].tolist() == [1, 1, 0]
    assert y["tags"].tolist() == [[1, 0], [0, 0], [0, 1]] and w["tags"].tolist() == [1, 0, 1]
