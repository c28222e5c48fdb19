"""WikiArt style subsets shipped as a plain class-folder tree: `train/<Style>/`, `val/<Style>/` and optionally
`test/<Style>/` (e.g. WikiArt-7, 224 px padded squares from eliogrande/TheEndlessTuning_WikiArt224).

The classes are the train split's style folders, in name order; a style folder in val or test that train lacks
is listed as unlabelled in the quarantine manifest rather than silently made a new class.
"""

from __future__ import annotations

from typing import Optional

from etils import epath

from tfds_builders.class_folders import class_files, is_hidden, split_folders
from tfds_builders.validated_examples import SourceItem, validated_examples

FOLDERS_LAYOUT = "train/<Style>/ and val/<Style>/ (optionally test/<Style>/)"
ARTGAN_MARKERS = ("wikiart_csv", "WikiArt Dataset")


def folder_splits(root: epath.Path) -> dict[str, epath.Path]:
    """The split folders under `root` or under its only subfolder (an archive's top folder)."""
    splits = split_folders(root)
    if splits or not root.is_dir():
        return splits
    children = [c for c in root.iterdir() if c.is_dir() and not is_hidden(c)]
    return split_folders(children[0]) if len(children) == 1 else {}


def is_folder_layout(manual_dir: Optional[str]) -> bool:
    """True when `manual_dir` holds split class folders and none of ArtGAN's CSV folders."""
    if not manual_dir:
        return False
    root = epath.Path(manual_dir)
    if not root.is_dir() or any((root / marker).exists() for marker in ARTGAN_MARKERS):
        return False
    return "train" in folder_splits(root)


def style_names(train_dir: epath.Path) -> list[str]:
    return sorted(c.name for c in train_dir.iterdir() if c.is_dir() and not is_hidden(c))


def folder_examples(builder, split: str, split_dir: epath.Path, styles: list[str]):
    """Validated examples of one split: `style` from the folder, `file_name` = `<Style>/<file>`."""
    items, unlabelled = [], []
    for path, style in class_files(split_dir):
        if style not in styles:
            unlabelled.append((path, f"style folder {style!r} is not among the train split's styles"))
            continue
        rel = f"{style}/{path.name}"
        items.append(SourceItem(f"{split}/{rel}", path, {"style": style, "file_name": rel}))
    yield from validated_examples(builder, split, items, unlabelled)
