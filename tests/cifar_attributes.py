"""A real small multi-label setup: CIFAR-10 test images with attributes derived from their class.

Two heads, like the CIFAR coordinator: `class` (10-way softmax) and `attributes` (sigmoid, 7 tags). Used by
the threshold-tuning test and by bench/threshold_tuning_cifar.py.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

ATTRIBUTES = ["animal", "vehicle", "flies", "has_wheels", "four_legs", "near_water", "pet"]
CLASS_ATTRIBUTES = {
    "airplane": {"vehicle", "flies"},
    "automobile": {"vehicle", "has_wheels"},
    "bird": {"animal", "flies"},
    "cat": {"animal", "four_legs", "pet"},
    "deer": {"animal", "four_legs"},
    "dog": {"animal", "four_legs", "pet"},
    "frog": {"animal", "near_water"},
    "horse": {"animal", "four_legs"},
    "ship": {"vehicle", "near_water"},
    "truck": {"vehicle", "has_wheels"},
}
CLASSES = sorted(CLASS_ATTRIBUTES)


def multi_hot(class_name: str) -> np.ndarray:
    return np.array([a in CLASS_ATTRIBUTES[class_name] for a in ATTRIBUTES], dtype=np.float32)


def cifar_attribute_data(cifar_root: Path, per_split: dict[str, tuple[int, int]]):
    """`LabeledData` with heads `class` and `attributes`; `per_split[split] = (first, count)` picks files
    `first .. first+count-1` (sorted by name) of every class, so splits never overlap."""
    import tensorflow as tf

    from artzoo.data.sources import LabeledData

    splits, counts = {}, {}
    for split, (first, count) in per_split.items():
        files, labels, tags = [], [], []
        for index, name in enumerate(CLASSES):
            chosen = sorted((Path(cifar_root) / name).glob("*.png"))[first:first + count]
            files += [str(f) for f in chosen]
            labels += [index] * len(chosen)
            tags += [multi_hot(name)] * len(chosen)
        ds = tf.data.Dataset.from_tensor_slices((files, np.array(labels, np.int32), np.stack(tags)))
        splits[split] = ds.map(lambda f, y, t: (tf.io.read_file(f), {"class": y, "attributes": t}))
        counts[split] = {"class": np.bincount(labels, minlength=len(CLASSES)).tolist(),
                         "attributes": np.stack(tags).sum(axis=0).astype(int).tolist()}
    classes = {"class": CLASSES, "attributes": ATTRIBUTES}
    return LabeledData(splits, classes, counts, {"all": {"rejected": 0}, "files": []}, f"folder:{cifar_root}")


def two_head_config(run_dir: Path, export_dir: Path, image_size: int = 64, epochs: int = 3, **train):
    """RunConfig for the two heads on frozen MobileNet v1 alpha 0.25 (ImageNet) features."""
    from artzoo.config import RunConfig, from_dict

    return from_dict(RunConfig, {
        "task": "cifar_attributes",
        "run_dir": str(run_dir),
        "data": {"data_dir": "cifar_attributes", "image_size": image_size, "batch_size": 32,
                 "augment": {"rotation": 0.0, "zoom": 0.0, "contrast": 0.0}},
        "model": {"backbone": "mobilenet_2_5", "weights": "imagenet", "heads": [
            {"name": "class", "label": "class", "type": "softmax", "dropout": 0.2},
            {"name": "attributes", "label": "attributes", "type": "sigmoid", "dropout": 0.2}]},
        "train": {"epochs": epochs, "fine_tune_epochs": 0, "learning_rate": 3e-3, "schedule": "constant",
                  "mixed_precision": "off", **train},
        "export": {"dir": str(export_dir), "name": "cifar_attributes"},
    })
