"""A skewed training split from real images, like a museum collection: CIFAR-10 test images (../shared) with two
classes kept whole and the other eight cut to a few per cent, validation and test left balanced.

The split is deterministic: per class the files sorted by name; the first `train` go to train, the next `val` to
val, the next `test` to test; then the train part of every class not in `keep_whole` is cut to its first
round(train * rare_fraction) files. Default: 700 / 200 / 100 per class, automobile and cat whole (700 each), the
other eight 35 each (1,680 train images, 83% in the two big classes). Used by the imbalance tests and by
bench/imbalance_cifar.py.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
KEEP_WHOLE = ("automobile", "cat")


def skewed_files(root: Path, train: int = 700, val: int = 200, test: int = 100, keep_whole=KEEP_WHOLE,
                 rare_fraction: float = 0.05) -> dict[str, tuple[list[str], np.ndarray]]:
    """split -> (file paths, class indices into CLASSES), in class then file-name order."""
    out = {split: ([], []) for split in ("train", "val", "test")}
    for index, name in enumerate(CLASSES):
        files = sorted(str(f) for f in (Path(root) / name).glob("*.png"))
        kept = train if name in keep_whole else int(round(train * rare_fraction))
        parts = {"train": files[:kept], "val": files[train:train + val], "test": files[train + val:train + val + test]}
        for split, chosen in parts.items():
            out[split][0].extend(chosen)
            out[split][1].extend([index] * len(chosen))
    return {split: (paths, np.asarray(labels, np.int32)) for split, (paths, labels) in out.items() if paths}


def skewed_labeled_data(root: Path, head: str = "label", **split):
    """`LabeledData` with one softmax head over the ten classes on the split `skewed_files` makes."""
    import tensorflow as tf

    from artzoo.data.sources import LabeledData

    splits, counts = {}, {}
    for name, (paths, labels) in skewed_files(root, **split).items():
        ds = tf.data.Dataset.from_tensor_slices((paths, labels))
        splits[name] = ds.map(lambda f, y: (tf.io.read_file(f), {head: y}))
        counts[name] = {head: np.bincount(labels, minlength=len(CLASSES)).tolist()}
    return LabeledData(splits, {head: list(CLASSES)}, counts, {"all": {"rejected": 0}, "files": []},
                       f"folder:{root}")
