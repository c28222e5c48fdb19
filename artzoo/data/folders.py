"""Plain image folders given on the command line, read the same way everywhere.

If the folder holds `train/`, `val/` (or `validation/`) and/or `test/` subfolders, those are splits, each
holding one subfolder per class; otherwise its subfolders are the classes and the split is made 7:2:1,
stratified and deterministic. Every image is validated first; what cannot be used is quarantined (listed
with its reason), never silently dropped.
"""

from __future__ import annotations

import shutil
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from artzoo.errors import ArtzooError
from tfds_builders.class_folders import SPLIT_ALIASES, is_hidden
from tfds_builders.image_validation import RejectedImage, clean_image, content_hash
from tfds_builders.stratified_split import stratified_split


@dataclass
class FolderImage:
    """A validated image: its path, its class, and cleaned bytes when the file itself needed fixing."""

    path: str
    label: str
    clean_bytes: bytes = b""  # empty when the file on disk is already a clean RGB JPEG


@dataclass
class FolderSplits:
    splits: dict[str, list[FolderImage]]
    classes: list[str]
    quarantined: list[dict] = field(default_factory=list)


def scan_folder(
    root: str | Path, classes: list[str] | None = None, max_pixels: int = 40_000_000, make_split: bool = True
) -> FolderSplits:
    """Reads a class-folder tree into validated splits.

    Args:
        root: the folder.
        classes: the class names the caller knows (e.g. a trained model's); an unknown class folder is an
            error naming it. None: the folder's classes, sorted.
        max_pixels: decompression-bomb guard.
        make_split: split a folder without split subfolders 7:2:1; False keeps it whole as split "all".
    """
    root = Path(root)
    if not root.is_dir():
        raise ArtzooError(f"data folder {str(root)!r} does not exist")
    split_dirs = {SPLIT_ALIASES[p.name.lower()]: p for p in sorted(root.iterdir())
                  if p.is_dir() and p.name.lower() in SPLIT_ALIASES}
    raw = {s: _class_files(d) for s, d in split_dirs.items()} if split_dirs else {"all": _class_files(root)}
    found = sorted({label for files in raw.values() for _, label in files})
    if not found:
        raise ArtzooError(f"data folder {str(root)!r} has no class subfolders with files")
    if classes is not None:
        unknown = [c for c in found if c not in classes]
        if unknown:
            raise ArtzooError(
                f"class folder {unknown[0]!r} in {str(root)!r} is not one of the model's classes: {', '.join(classes)}"
            )
    else:
        classes = found
    if "all" in raw and make_split:
        # Split the file list, then validate: the same rule as the builders, so a folder and its art_folder
        # dataset agree on which file is in which split.
        raw = stratified_split(raw["all"], stratum=lambda f: f[1], name=lambda f: Path(f[0]).name)
    quarantined: list[dict] = []
    seen: dict[str, str] = {}  # shared across splits, train first: a repeat is dropped from val/test
    order = [s for s in ("train", "val", "test", "all") if s in raw]
    splits = {s: _validate(raw[s], max_pixels, quarantined, seen) for s in order}
    return FolderSplits(splits={s: v for s, v in splits.items() if v}, classes=list(classes), quarantined=quarantined)


def _class_files(split_dir: Path) -> list[tuple[str, str]]:
    files = []
    for class_dir in sorted(split_dir.iterdir()):
        if class_dir.is_dir() and not is_hidden(class_dir):
            files += [(str(p), class_dir.name) for p in sorted(class_dir.iterdir()) if p.is_file() and not is_hidden(p)]
    return files


def _validate(
    files: list[tuple[str, str]], max_pixels: int, quarantined: list[dict], seen: dict[str, str]
) -> list[FolderImage]:
    def check(item):
        path, label = item
        try:
            raw = Path(path).read_bytes()
            image = clean_image(raw, max_pixels=max_pixels)
        except (OSError, RejectedImage) as err:
            return None, {"file": path, "reason": str(err)}, None
        return FolderImage(path, label, image.data if image.fixes else b""), None, content_hash(raw)

    kept = []
    with ThreadPoolExecutor(max_workers=4) as pool:
        for image, problem, digest in pool.map(check, files):
            if problem:
                quarantined.append(problem)
            elif digest in seen:
                quarantined.append({"file": image.path, "reason": f"duplicate of {seen[digest]}"})
            else:
                seen[digest] = image.path
                kept.append(image)
    return kept


def is_flat_image_folder(root: str | Path) -> bool:
    """True when `root` holds files and no (visible) subfolders: an unlabelled collection of images."""
    root = Path(root)
    if not root.is_dir():
        return False
    children = [p for p in root.iterdir() if not is_hidden(p)]
    return any(p.is_file() for p in children) and not any(p.is_dir() for p in children)


def scan_flat_folder(root: str | Path, max_pixels: int = 40_000_000) -> FolderSplits:
    """Reads an unlabelled flat folder of images: one split "all", no classes, every file validated.

    Images get the empty label ""; what cannot be used is quarantined, as in `scan_folder`.
    """
    root = Path(root)
    if not is_flat_image_folder(root):
        raise ArtzooError(f"data folder {str(root)!r} is not a flat folder of image files (it is missing, empty "
                          "or has subfolders)")
    files = [(str(p), "") for p in sorted(root.iterdir()) if p.is_file() and not is_hidden(p)]
    quarantined: list[dict] = []
    kept = _validate(files, max_pixels, quarantined, {})
    return FolderSplits(splits={"all": kept}, classes=[], quarantined=quarantined)


def copy_subset(src: str | Path, dst: str | Path, per_split: dict[str, int]) -> Path:
    """Copies the first N files (sorted, so reruns pick the same ones) of each class of each named split of
    a `<split>/<class>/` tree into `dst`: a small real subset to try a task on (tests, benchmarks)."""
    src, dst = Path(src), Path(dst)
    for split, n in per_split.items():
        for class_dir in sorted(p for p in (src / split).iterdir() if p.is_dir() and not is_hidden(p)):
            out = dst / split / class_dir.name
            out.mkdir(parents=True, exist_ok=True)
            for f in sorted(class_dir.iterdir())[:n]:
                shutil.copy(f, out / f.name)
    return dst
