"""Collections described by a CSV: one row per image, an image column and label columns.

Turns the rows into per-split `SourceItem`s: image paths resolved (relative to the CSV's folder, with or
without extension, or by file stem anywhere below it), every label column encoded through its
`LabelColumn` (blank or unknown values become -1 and are listed), rows with no usable label at all set
aside as unlabelled, and splits taken from a split column, from split folders in the paths, or made 7:2:1
stratified on the first label column. Reads through epath, as TFDS builders must.
"""

from __future__ import annotations

import csv
import io
import posixpath
from dataclasses import dataclass, field
from typing import Optional, Sequence

from etils import epath

from tfds_builders.errors import BuilderError
from tfds_builders.class_folders import SPLIT_ALIASES
from tfds_builders.label_columns import MISSING, LabelColumn, discover_classes, is_missing
from tfds_builders.stratified_split import stratified_split
from tfds_builders.validated_examples import SourceItem

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".webp", ".gif", ".tif", ".tiff", ".bmp")
IMAGE_COLUMN_NAMES = ("image", "image_path", "path", "file", "filename", "file_name", "id")
SPLIT_COLUMN_NAMES = ("split", "subset", "fold")


@dataclass
class CsvTable:
    path: epath.Path
    header: list[str]
    rows: list[dict[str, str]]

    def column(self, name: str) -> list[str]:
        return [row.get(name, "") for row in self.rows]


def read_csv(path: epath.Path) -> CsvTable:
    """A CSV with a header row (UTF-8, with or without BOM; Latin-1 when not valid UTF-8)."""
    data = epath.Path(path).read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip() for h in (reader.fieldnames or [])]
    reader.fieldnames = header
    rows = [{k: (v or "").strip() for k, v in row.items() if k is not None} for row in reader]
    if not header:
        raise BuilderError(f"CSV file {str(path)!r} is empty; expected a header row with an image column")
    return CsvTable(epath.Path(path), header, rows)


def pick_column(table: CsvTable, wanted: Optional[str], candidates: Sequence[str], what: str) -> Optional[str]:
    """`wanted` if given (error if absent), else the first header matching `candidates` (case-insensitive)."""
    if wanted:
        if wanted not in table.header:
            columns = ", ".join(table.header)
            raise BuilderError(f"{what} column {wanted!r} not in {str(table.path)!r}; columns: {columns}")
        return wanted
    lowered = {h.lower(): h for h in table.header}
    return next((lowered[c] for c in candidates if c in lowered), None)


class ImageResolver:
    """Finds the file a CSV cell names, relative to `root`."""

    def __init__(self, root: epath.Path):
        self.root = epath.Path(root)
        self._by_stem: Optional[dict[str, epath.Path]] = None

    def resolve(self, value: str) -> epath.Path:
        """The file, or the expected (missing) path so the miss is reported with its name.

        A path that leads out of `root` (`../../etc/hostname`) is returned as it is, without looking at the
        file system: the validator refuses paths with `..` (`validated_examples.outside_reason`).
        """
        value = posixpath.normpath(value.replace("\\", "/").lstrip("/"))
        direct = self.root / value
        if value == ".." or value.startswith("../"):
            return direct
        if direct.is_file():
            return direct
        for ext in IMAGE_EXTENSIONS:
            if (self.root / f"{value}{ext}").is_file():
                return self.root / f"{value}{ext}"
        found = self._stems().get(epath.Path(value).stem if "." in epath.Path(value).name else value)
        return found or direct

    def _stems(self) -> dict[str, epath.Path]:
        if self._by_stem is None:
            self._by_stem = {}
            for path in _walk(self.root):
                if path.suffix.lower() in IMAGE_EXTENSIONS:
                    self._by_stem.setdefault(path.stem, path)
        return self._by_stem


def _walk(folder: epath.Path):
    """Every non-hidden file below `folder`, sorted (epath has no recursive glob on every filesystem)."""
    if not folder.is_dir():
        return
    for child in sorted(folder.iterdir()):
        if child.name.startswith("."):
            continue
        if child.is_dir():
            yield from _walk(child)
        else:
            yield child


@dataclass
class CsvCollection:
    """A CSV's rows as per-split items, plus rows set aside, with the classes of each label feature."""

    classes: dict[str, list[str]]
    items: dict[str, list[SourceItem]] = field(default_factory=dict)
    unlabelled: dict[str, list[tuple[epath.Path, str]]] = field(default_factory=dict)


def csv_collection(
    table: CsvTable,
    image_column: str,
    columns: Sequence[LabelColumn],
    split_column: Optional[str] = None,
    image_root: Optional[epath.Path] = None,
    extra_features: Sequence[str] = ("file_name",),
) -> CsvCollection:
    """Reads `table` into items whose features are the label columns (+ `file_name`)."""
    missing = [c.source for c in columns if c.source not in table.header]
    if missing:
        raise BuilderError(
            f"label column {missing[0]!r} not in {str(table.path)!r}; columns: {', '.join(table.header)}")
    classes = {c.feature: discover_classes(c, table.column(c.source)) for c in columns}
    index = {feature: {name: i for i, name in enumerate(names)} for feature, names in classes.items()}
    resolver = ImageResolver(image_root or table.path.parent)
    rows, rejects = [], []
    for line, row in enumerate(table.rows, start=2):
        cell = row.get(image_column, "")
        path = resolver.resolve(cell) if cell else table.path.parent / f"<blank image cell, line {line}>"
        rel = _relative(path, resolver.root)
        labels, issues = {}, []
        for column in columns:
            labels[column.feature], issue = column.encode(row.get(column.source), index[column.feature])
            if issue:
                issues.append(issue)
        split = _row_split(row, split_column, rel)
        if split_column and split is None:
            rejects.append(("train", path, f"blank {split_column!r} (split) value"))
            continue
        if all(is_missing(v) for v in labels.values()):
            reasons = "; ".join(f"{i['column']}: {i['reason']}" for i in issues)
            rejects.append((split or "train", path, f"no usable label ({reasons})"))
            continue
        features = {**labels, **({"file_name": rel} if "file_name" in extra_features else {})}
        origin = f"{table.path.name} line {line}"
        rows.append((split, SourceItem(rel, path, features, issues, origin)))
    collection = CsvCollection(classes)
    _assign_splits(collection, rows, columns[0].feature if columns else None)
    for split, path, reason in rejects:
        # A row set aside is listed in its own split's manifest, or the first split's when that has no items.
        split = split if split in collection.items else next(iter(collection.items), "train")
        collection.unlabelled.setdefault(split, []).append((path, reason))
    return collection


def _relative(path: epath.Path, root: epath.Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return path.name


def _row_split(row: dict[str, str], split_column: Optional[str], rel: str) -> Optional[str]:
    if split_column:
        value = row.get(split_column, "").lower()
        return SPLIT_ALIASES.get(value, value) or None
    first = rel.split("/", 1)[0].lower()
    return SPLIT_ALIASES.get(first) if "/" in rel else None


def _assign_splits(collection: CsvCollection, rows: list, stratum_feature: Optional[str]) -> None:
    # Splits named by a split column or by split folders in every found path are used as they are (a row
    # whose file is missing has no folder to tell: it goes to the first split, to be listed as missing there);
    # otherwise (none, or only some rows have one) the whole table is split by the shared 7:2:1 rule.
    found = [(split, item) for split, item in rows if split or item.path.exists()]
    if found and all(split for split, _ in found):
        first = found[0][0]
        for split, item in rows:
            collection.items.setdefault(split or first, []).append(item)
        return
    items = [item for _, item in rows]
    made = stratified_split(items, stratum=lambda it: it.features.get(stratum_feature, MISSING), name=lambda it: it.key)
    collection.items.update(made)
