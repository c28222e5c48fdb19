"""art_folder: any collection as a validated TFDS dataset, from a folder of class subfolders or a CSV.

Folder mode: `manual_dir` holds `train/`, `val/` (or `validation/`) and/or `test/` split folders of class
subfolders, or only class subfolders (then split 7:2:1, stratified, deterministic). One feature, `label`.
CSV mode: a CSV inside `manual_dir` with an image column and label columns; each label column becomes a
ClassLabel feature (snake_case of the column name) that a head can predict; blank or unknown values are -1
and listed in the quarantine manifest. Class names are the folder names or distinct CSV values, sorted.

Each source is its own builder config (named after the folder or CSV, e.g. `art_folder/cifar10_test`),
so different collections never overwrite each other under one `--tfds-dir`. Build with
`artzoo datasets build art_folder --manual-dir DIR_OR_CSV`; in Python `art_folder_config(path)`.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Optional, Sequence

from etils import epath
import tensorflow_datasets as tfds

from tfds_builders.errors import BuilderError
from tfds_builders.class_folders import class_files, split_folders
from tfds_builders.csv_collection import (IMAGE_COLUMN_NAMES, SPLIT_COLUMN_NAMES, csv_collection, pick_column,
                                          read_csv)
from tfds_builders.label_columns import LabelColumn
from tfds_builders.manual_or_download import require_manual_root
from tfds_builders.stratified_split import stratified_split
from tfds_builders.validated_examples import SourceItem, validated_examples

RESERVED = ("image", "file_name")
_FOLDER_HINT = "expected <class>/<image> or train|val|test/<class>/<image>, or pass a CSV file"

_CITATION = """\
@misc{artzoo_art_folder,
  title = {art_folder: user-supplied image collections prepared by artzoo},
  note = {Cite the collection you point it at; this builder adds no data of its own.}
}
"""


@dataclasses.dataclass(eq=False)
class ArtFolderConfig(tfds.core.BuilderConfig):
    """Where in `manual_dir` the collection is and, for a CSV, which columns mean what.

    Attributes:
        subdir: the collection's folder relative to manual_dir (empty: manual_dir itself).
        csv_file: a CSV in that folder; empty: the folder is a class-folder tree.
        image_column: CSV column of image paths (relative to the CSV's folder, or file stems).
        label_columns: CSV columns that become label features.
        split_column: optional CSV column naming each row's split (train / val / test).
    """

    subdir: str = ""
    csv_file: str = ""
    image_column: str = ""
    label_columns: tuple[str, ...] = ()
    split_column: str = ""

    @property
    def label_features(self) -> dict[str, str]:
        """Feature name -> CSV column (folder mode: {"label": ""})."""
        if not self.csv_file:
            return {"label": ""}
        return {feature_name(c): c for c in self.label_columns}


def feature_name(column: str) -> str:
    name = re.sub(r"[^0-9a-zA-Z]+", "_", column).strip("_").lower() or "label"
    return f"{name}_label" if name in RESERVED else name


def config_name(path: str) -> str:
    """`cifar10_test` for a folder, `<folder>_<stem>` for a CSV (`table_labels`): names say the source."""
    path = epath.Path(path)
    stem = f"{path.parent.name}_{path.stem}" if str(path).lower().endswith(".csv") else path.name
    return re.sub(r"[^0-9a-z_]+", "_", stem.lower()).strip("_") or "collection"


def art_folder_config(
    source: str,
    name: Optional[str] = None,
    label_columns: Optional[Sequence[str]] = None,
    image_column: Optional[str] = None,
    split_column: Optional[str] = None,
) -> tuple[ArtFolderConfig, str]:
    """A config for `source` (a class-folder tree or a CSV file) and the manual_dir to build it from.

    For a CSV the header decides the defaults: the image column is the first of image, path, file, ...;
    a column named split is the split; every other column is a label column.
    """
    path = epath.Path(source)
    name = name or config_name(source)
    if not str(source).lower().endswith(".csv"):
        if not path.is_dir():
            raise BuilderError(f"art_folder source {source!r} is neither a folder nor a .csv file")
        return ArtFolderConfig(name=name, description=f"class folders of {path.name}"), str(path)
    if not path.is_file():
        raise BuilderError(f"CSV file {source!r} does not exist")
    table = read_csv(path)
    image = pick_column(table, image_column, IMAGE_COLUMN_NAMES, "image") or table.header[0]
    split = pick_column(table, split_column, SPLIT_COLUMN_NAMES, "split") or ""
    labels = tuple(label_columns) if label_columns else tuple(c for c in table.header if c not in (image, split))
    for column in labels:
        pick_column(table, column, (), "label")
    if not labels:
        raise BuilderError(f"CSV file {source!r} has no label column besides image column {image!r}")
    config = ArtFolderConfig(name=name, description=f"{path.name}: {', '.join(labels)}", csv_file=path.name,
                             image_column=image, label_columns=labels, split_column=split)
    return config, str(path.parent)


class Builder(tfds.core.GeneratorBasedBuilder):
    """Any folder of class subfolders, or any CSV of image paths and label columns."""

    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "Class folders or CSV; validated images; quarantine manifest; 7:2:1 split."}
    BUILDER_CONFIGS = [ArtFolderConfig(name="folder", description="class folders in manual_dir")]
    MANUAL_DOWNLOAD_INSTRUCTIONS = """\
Point --manual-dir at either
  (a) a folder of class subfolders (<class>/<image>), optionally inside split folders
      train/, val/ (or validation/) and test/ - without split folders it is split 7:2:1 by class; or
  (b) a CSV file: one row per image, an image column (path relative to the CSV's folder, or a file
      stem found below it), label columns (each becomes a label feature) and optionally a split column.
"""

    def _info(self) -> tfds.core.DatasetInfo:
        labels = {feature: tfds.features.ClassLabel() for feature in self.builder_config.label_features}
        return self.dataset_info_from_configs(
            features=tfds.features.FeaturesDict(
                {"image": tfds.features.Image(shape=(None, None, 3)), "file_name": tfds.features.Text(), **labels}
            ),
            supervised_keys=("image", next(iter(labels))) if len(labels) == 1 else None,
            citation=_CITATION,
            metadata=tfds.core.MetadataDict(),
        )

    def _split_generators(self, dl_manager: tfds.download.DownloadManager):
        root = require_manual_root(dl_manager, "art_folder", "class subfolders or a CSV of images and labels")
        root = root / self.builder_config.subdir if self.builder_config.subdir else root
        self.info.metadata["source"] = str(root.resolve())  # building another source under this name is refused
        if self.builder_config.csv_file:
            items, unlabelled, classes = self._from_csv(root)
        else:
            items, unlabelled, classes = self._from_folders(root)
        for feature, names in classes.items():
            if not names:
                raise BuilderError(f"art_folder: label column for {feature!r} holds no value in {root}")
            self.info.features[feature].names = names
        order = [s for s in ("train", "val", "test") if s in items] + sorted(set(items) - {"train", "val", "test"})
        return {s: self._generate_examples(s, items[s], unlabelled.get(s, [])) for s in order}

    def _from_csv(self, root: epath.Path):
        cfg = self.builder_config
        if not cfg.label_columns:
            raise BuilderError(f"art_folder config {cfg.name!r} reads {cfg.csv_file} but names no label column")
        table = read_csv(root / cfg.csv_file)
        image = pick_column(table, cfg.image_column or None, IMAGE_COLUMN_NAMES, "image") or table.header[0]
        columns = [LabelColumn(feature, column) for feature, column in cfg.label_features.items()]
        collection = csv_collection(table, image, columns, cfg.split_column or None)
        return collection.items, collection.unlabelled, collection.classes

    def _from_folders(self, root: epath.Path):
        splits = split_folders(root)
        files = {s: list(class_files(d)) for s, d in splits.items()} if splits else {"all": list(class_files(root))}
        classes = sorted({label for found in files.values() for _, label in found})
        if not classes:
            raise BuilderError(f"art_folder: {root} has no class subfolders with files; {_FOLDER_HINT}")
        if "all" in files:
            files = stratified_split(files["all"], stratum=lambda f: f[1], name=lambda f: f[0].name)
        items = {s: [SourceItem(f"{label}/{path.name}", path, {"label": label, "file_name": f"{label}/{path.name}"})
                     for path, label in found] for s, found in files.items()}
        return items, {}, {"label": classes}

    def _generate_examples(self, split: str, items: list[SourceItem], unlabelled: list):
        yield from validated_examples(self, split, items, unlabelled)


def resolve_config(name: Optional[str], manual_dir: Optional[str], label_columns: Optional[Sequence[str]] = None):
    """The config for a build request: made from the source when a manual dir (folder or CSV) is given,
    else the config name alone (the dataset must then already be prepared)."""
    if manual_dir:
        config, _ = art_folder_config(manual_dir, name=name, label_columns=label_columns)
        return config
    return name or "folder"
