"""The images to embed, in a fixed order, with ids, labels when known, and a key of their content.

A collection comes from a plain folder (class subfolders, split/class subfolders, or a flat folder of
unlabelled images; see `artzoo.data.folders`) or from a TFDS dataset. Every split is kept, in order, and each
item remembers its split. `data_key()` is computed from the files' bytes before anything is decoded, so a
cached embedding file can be recognised without validating or embedding anything.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

import numpy as np
import tensorflow as tf

from artzoo.data.folders import FolderImage, is_flat_image_folder, scan_flat_folder, scan_folder
from artzoo.errors import ArtzooError
from tfds_builders.class_folders import is_hidden

UNKNOWN_LABEL = -1


@dataclass
class ImageCollection:
    """Images in a fixed order; `encoded()` yields their encoded bytes in that order.

    Attributes:
        ids: a stable name per image (path relative to the folder, or `split/file_name` for TFDS).
        paths: absolute file paths ("" where the image lives inside a TFDS record).
        labels: class index per image, -1 where unknown.
        splits: split name per image ("all" for a folder without split subfolders).
        class_names: names of the label indices ([] for unlabelled collections).
        source: "folder:<path>" or "tfds:<name/config/version>".
        quarantined: files that could not be used, with the reason.
    """

    ids: list[str]
    paths: list[str]
    labels: np.ndarray
    splits: list[str]
    class_names: list[str]
    source: str
    encoded: Callable[[], tf.data.Dataset]
    quarantined: list[dict] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def labelled(self) -> bool:
        return bool(self.class_names) and bool((self.labels >= 0).any())

    def subset(self, keep: np.ndarray) -> tf.data.Dataset:
        """Encoded bytes of the items where `keep` is true, in order."""
        mask = tf.data.Dataset.from_tensor_slices(np.asarray(keep, dtype=bool))
        return tf.data.Dataset.zip((self.encoded(), mask)).filter(lambda _, k: k).map(lambda b, _: b)


# --- folders -----------------------------------------------------------------------------------------------
def folder_data_key(root: str | Path) -> str:
    """sha256 over every visible file under `root`: its relative path and the sha256 of its bytes."""
    root = Path(root)
    if not root.is_dir():
        raise ArtzooError(f"data folder {str(root)!r} does not exist")
    digest = hashlib.sha256(b"folder-v1\0")
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = path.relative_to(root)
        if any(is_hidden(part) for part in (Path(x) for x in rel.parts)):
            continue
        digest.update(str(rel).encode() + b"\0" + hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def folder_collection(root: str | Path) -> ImageCollection:
    """Every validated image of a folder: class folders, split/class folders, or a flat unlabelled folder."""
    root = Path(root)
    if is_flat_image_folder(root):
        scanned = scan_flat_folder(root)
    else:
        scanned = scan_folder(root, make_split=False)
    items: list[tuple[str, FolderImage]] = [(s, im) for s, images in scanned.splits.items() for im in images]
    if not items:
        raise ArtzooError(f"data folder {str(root)!r} has no usable image ({len(scanned.quarantined)} quarantined)")
    index = {c: i for i, c in enumerate(scanned.classes)}
    paths = [im.path for _, im in items]
    inline = [im.clean_bytes for _, im in items]

    def encoded() -> tf.data.Dataset:
        ds = tf.data.Dataset.from_tensor_slices((tf.constant(paths), tf.constant(inline, dtype=tf.string)))
        return ds.map(lambda p, b: tf.cond(tf.strings.length(b) > 0, lambda: b, lambda: tf.io.read_file(p)),
                      num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)

    return ImageCollection(
        ids=[str(Path(p).relative_to(root)) for p in paths],
        paths=[str(Path(p).resolve()) for p in paths],
        labels=np.array([index.get(im.label, UNKNOWN_LABEL) for _, im in items], dtype=np.int32),
        splits=[s for s, _ in items],
        class_names=list(scanned.classes),
        source=f"folder:{root.resolve()}",
        encoded=encoded,
        quarantined=list(scanned.quarantined),
    )


# --- TFDS --------------------------------------------------------------------------------------------------
def tfds_data_key(builder) -> str:
    """sha256 over the prepared dataset's identity: full name, and per split its examples and bytes."""
    info = builder.info
    parts = [f"tfds-v1|{info.full_name}"]
    parts += [f"{name}:{split.num_examples}:{split.num_bytes}" for name, split in sorted(info.splits.items())]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def tfds_collection(builder, label: Optional[str] = "label") -> ImageCollection:
    """Every example of a prepared TFDS dataset, split after split (sorted names), in record order."""
    import tensorflow_datasets as tfds

    features = builder.info.features
    class_names: list[str] = []
    if label and label in features and isinstance(features[label], tfds.features.ClassLabel):
        class_names = list(features[label].names)
    elif label and label in features:
        raise ArtzooError(f"feature {label!r} of dataset {builder.name!r} is not a class label")
    split_names = sorted(builder.info.splits)

    def split_ds(split):
        return builder.as_dataset(split=split, decoders={"image": tfds.decode.SkipDecoding()}, shuffle_files=False)

    ids, labels, splits = [], [], []
    for split in split_names:
        names_ds = split_ds(split).map(lambda ex: (ex.get("file_name", ""), ex[label] if class_names else -1))
        for i, (name, value) in enumerate(names_ds.as_numpy_iterator()):
            name = name.decode() if isinstance(name, bytes) else name
            ids.append(f"{split}/{name or i}")
            labels.append(int(value))
            splits.append(split)

    def encoded() -> tf.data.Dataset:
        datasets = [split_ds(s).map(lambda ex: ex["image"]) for s in split_names]
        ds = datasets[0]
        for more in datasets[1:]:
            ds = ds.concatenate(more)
        return ds

    metadata = builder.info.metadata or {}
    quarantined = [{"split": s, **v} for s, v in dict(metadata.get("quarantine", {})).items()]
    return ImageCollection(ids, [""] * len(ids), np.array(labels, dtype=np.int32), splits, class_names,
                           f"tfds:{builder.info.full_name}", encoded, quarantined)


# --- single files (queries) --------------------------------------------------------------------------------
def files_collection(files: list[str]) -> ImageCollection:
    """Named image files, each validated; an unusable one is an error naming it (a query is never skipped)."""
    from tfds_builders.image_validation import RejectedImage, clean_image

    cleaned = []
    for name in files:
        path = Path(name)
        if not path.is_file():
            raise ArtzooError(f"image {name!r} does not exist")
        try:
            cleaned.append(clean_image(path.read_bytes()).data)
        except RejectedImage as err:
            raise ArtzooError(f"image {name!r} cannot be used: {err}") from None
    return ImageCollection(
        ids=[Path(f).name for f in files], paths=[str(Path(f).resolve()) for f in files],
        labels=np.full(len(files), UNKNOWN_LABEL, dtype=np.int32), splits=["query"] * len(files), class_names=[],
        source="files", encoded=lambda: tf.data.Dataset.from_tensor_slices(tf.constant(cleaned, dtype=tf.string)),
    )
