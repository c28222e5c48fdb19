"""Reading class-folder layouts (`<split>/<class>/<image>`) through epath, as TFDS builders must."""

from __future__ import annotations

from typing import Iterable

from etils import epath

SPLIT_ALIASES = {"train": "train", "val": "val", "validation": "val", "valid": "val", "test": "test"}


def is_hidden(path: epath.Path) -> bool:
    return path.name.startswith(".") or path.name in ("Thumbs.db", "desktop.ini")


def split_folders(root: epath.Path) -> dict[str, epath.Path]:
    """The split subfolders of `root` (train / val or validation / test), keyed by canonical split name."""
    found = {}
    if root.is_dir():
        for child in sorted(root.iterdir()):
            split = SPLIT_ALIASES.get(child.name.lower())
            if split and child.is_dir() and split not in found:
                found[split] = child
    return found


def class_files(split_dir: epath.Path) -> Iterable[tuple[epath.Path, str]]:
    """Every non-hidden file under `split_dir/<class>/`, sorted, with its class folder name.

    All files are returned, whatever their extension: validation decides by content what is an image.
    """
    for class_dir in sorted(split_dir.iterdir()):
        if not class_dir.is_dir() or is_hidden(class_dir):
            continue
        for path in sorted(class_dir.iterdir()):
            if path.is_file() and not is_hidden(path):
                yield path, class_dir.name
