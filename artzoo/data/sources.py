"""Where labelled images come from: a TFDS builder (prepared from manual_dir or a download) or a plain folder.

Both give the same `LabeledData`: per split a `tf.data.Dataset` of `(image_bytes, {head: label})`, the
class names per head, label counts per split, and what was quarantined.
"""

from __future__ import annotations

import os
import zlib
from dataclasses import dataclass, field
from typing import Optional, Sequence

import numpy as np
import tensorflow as tf
import tensorflow_datasets as tfds

from artzoo.config import DataConfig, HeadConfig
from artzoo.data.folders import scan_folder
from artzoo.data.tfds_lookup import prepare, tfds_builder
from artzoo.errors import ArtzooError, choice_error

__all__ = ["LabeledData", "load_labeled_data", "load_tfds", "load_folder", "prepare", "tfds_builder", "MISSING"]

MISSING = -1  # a softmax label that is unknown for an item: its loss is masked, the item is kept


@dataclass
class LabeledData:
    splits: dict[str, tf.data.Dataset]
    classes: dict[str, list[str]]
    counts: dict[str, dict[str, list[int]]]  # split -> head -> images per class
    quarantine: dict = field(default_factory=dict)
    source: str = ""

    def split(self, name: str) -> tf.data.Dataset:
        if name not in self.splits:
            raise choice_error("split", name, sorted(self.splits))
        return self.splits[name]


def load_labeled_data(cfg: DataConfig, heads: Sequence[HeadConfig]) -> LabeledData:
    """Loads the data a run config names: `data_dir` (a plain folder) wins over the TFDS `dataset`."""
    if cfg.data_dir:
        return load_folder(cfg.data_dir, heads)
    return load_tfds(cfg.dataset, heads, manual_dir=cfg.manual_dir, tfds_dir=cfg.tfds_dir, config=cfg.builder_config,
                     label_columns=cfg.label_columns or None)


def load_tfds(
    name: str,
    heads: Sequence[HeadConfig],
    manual_dir: Optional[str] = None,
    tfds_dir: Optional[str] = None,
    config: Optional[str] = None,
    label_columns: Optional[Sequence[str]] = None,
) -> LabeledData:
    builder = tfds_builder(name, tfds_dir, config, manual_dir=manual_dir, label_columns=label_columns)
    prepare(builder, manual_dir)
    features = builder.info.features
    classes = {h.name: _feature_classes(features, h, name) for h in heads}
    splits, counts = {}, {}
    for split in builder.info.splits:
        ds = builder.as_dataset(split=split, decoders={"image": tfds.decode.SkipDecoding()}, shuffle_files=False)
        ds = ds.map(
            lambda ex: (ex["image"], {h.name: _label(ex[h.label], h, len(classes[h.name])) for h in heads}),
            num_parallel_calls=tf.data.AUTOTUNE,
        )
        splits[split] = ds
        counts[split] = _count_labels(ds, heads, classes)
    metadata = builder.info.metadata or {}
    return LabeledData(splits, classes, counts, dict(metadata.get("quarantine", {})), f"tfds:{builder.info.full_name}")


def _feature_classes(features, head: HeadConfig, dataset: str) -> list[str]:
    if head.label not in features:
        allowed = [k for k in features.keys() if k != "image"]
        raise choice_error(f"label feature for head {head.name!r} in dataset {dataset!r}:", head.label, allowed)
    feature = features[head.label]
    if isinstance(feature, tfds.features.Sequence):
        if head.type == "softmax":
            raise ArtzooError(f"feature {head.label!r} of dataset {dataset!r} is multi-label; head {head.name!r} "
                              "needs type: sigmoid")
        feature = feature.feature
    if not isinstance(feature, tfds.features.ClassLabel):
        raise ArtzooError(f"feature {head.label!r} of dataset {dataset!r} is not a class label")
    return list(feature.names)


def _label(value, head: HeadConfig, num_classes: int):
    """Softmax heads keep the class index (MISSING when unknown); sigmoid heads get a multi-hot vector
    (all MISSING when the item has no tag)."""
    if head.type == "softmax":
        return tf.cast(value, tf.int32)
    value = tf.cast(value, tf.int32)
    if value.shape.rank == 0:
        value = value[None]
    value = tf.boolean_mask(value, value >= 0)
    multi_hot = tf.reduce_max(tf.one_hot(value, num_classes, dtype=tf.float32), axis=0)
    # An item without any tag is unknown for this head (its loss is masked), not "none of the tags".
    return tf.cond(tf.size(value) > 0, lambda: multi_hot, lambda: tf.fill([num_classes], float(MISSING)))


def _count_labels(ds: tf.data.Dataset, heads, classes) -> dict[str, list[int]]:
    counts = {h.name: np.zeros(len(classes[h.name]), dtype=np.int64) for h in heads}
    for _, labels in ds.map(lambda _, y: ((), y)).batch(4096).as_numpy_iterator():
        for h in heads:
            values = labels[h.name]
            if h.type == "softmax":
                values = values[values >= 0]
                counts[h.name] += np.bincount(values, minlength=len(classes[h.name]))
            else:
                counts[h.name] += values[values[:, 0] >= 0].sum(axis=0).astype(np.int64)
    return {k: v.tolist() for k, v in counts.items()}


def load_folder(
    root: str, heads: Sequence[HeadConfig], classes: Optional[list[str]] = None, make_split: bool = True
) -> LabeledData:
    """A plain class-folder tree (see `artzoo.data.folders`) for a single softmax head."""
    if len(heads) != 1 or heads[0].type != "softmax":
        raise ArtzooError("a plain data folder gives one softmax head; use a TFDS dataset for multi-head tasks")
    head = heads[0]
    scanned = scan_folder(root, classes=classes, make_split=make_split)
    index = {c: i for i, c in enumerate(scanned.classes)}
    splits, counts = {}, {}
    for split, images in scanned.splits.items():
        # Interleave the classes (a fixed hash order): listed class by class, a split larger than the shuffle
        # buffer would feed whole runs of one class to training, which costs a linear head ~8 points on CIFAR.
        # The key is the path inside the folder, so a moved or copied folder trains in the same order.
        images = sorted(images, key=lambda im: (zlib.crc32(os.path.relpath(im.path, root).encode()), im.path))
        paths = tf.constant([im.path for im in images])
        inline = tf.constant([im.clean_bytes for im in images], dtype=tf.string)
        labels = tf.constant([index[im.label] for im in images], dtype=tf.int32)
        ds = tf.data.Dataset.from_tensor_slices((paths, inline, labels))
        ds = ds.map(
            lambda p, b, y: (tf.cond(tf.strings.length(b) > 0, lambda: b, lambda: tf.io.read_file(p)), {head.name: y}),
            num_parallel_calls=tf.data.AUTOTUNE,
        )
        splits[split] = ds
        counts[split] = {head.name: np.bincount([index[im.label] for im in images],
                                                minlength=len(scanned.classes)).tolist()}
    quarantine = {"all": {"rejected": len(scanned.quarantined)}, "files": scanned.quarantined}
    return LabeledData(splits, {head.name: scanned.classes}, counts, quarantine, f"folder:{root}")

