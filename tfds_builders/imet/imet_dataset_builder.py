"""iMet Collection (The Met, Kaggle FGVC6 2019 and FGVC7 2020): multi-label artwork attributes.

Kaggle layout: `train/<id>.png`, `train.csv` (`id,attribute_ids`, ids separated by spaces) and
`labels.csv` (`attribute_id,attribute_name`, names grouped as `culture::japan`, `tag::men`, `medium::...`).
Each group becomes a `Sequence(ClassLabel)` feature (class names without the `group::` prefix, in
attribute-id order). Only the training images carry labels, so they are split 7:2:1 by the shared
deterministic rule. Unknown attribute ids and rows without any known attribute are listed in the manifest.
"""

from __future__ import annotations

import dataclasses

from etils import epath
import tensorflow_datasets as tfds

from tfds_builders.errors import BuilderError
from tfds_builders.csv_collection import ImageResolver, read_csv
from tfds_builders.manual_or_download import missing_files_error, require_manual_root
from tfds_builders.stratified_split import stratified_split
from tfds_builders.validated_examples import SourceItem, validated_examples

_CITATION = """\
@article{imet2019,
  title = {The iMet Collection 2019 Challenge Dataset},
  author = {Zhang, Chenyang and Kaeser-Chen, Christine and Vesom, Grace and Choi, Jennie and
            Kessler, Maria and Belongie, Serge},
  journal = {arXiv preprint arXiv:1906.00901},
  year = {2019}
}
"""
REQUIRED = ("train.csv", "labels.csv", "train/")


@dataclasses.dataclass(eq=False)
class ImetConfig(tfds.core.BuilderConfig):
    """groups: attribute groups that become features; folder: the Kaggle competition's folder name."""

    groups: tuple[str, ...] = ()
    folder: str = ""


class Builder(tfds.core.GeneratorBasedBuilder):
    """iMet Collection attributes, one multi-label feature per attribute group."""

    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "Kaggle 2019 and 2020 layouts; one multi-label feature per group; 7:2:1 split."}
    BUILDER_CONFIGS = [
        ImetConfig(name="2019", groups=("culture", "tag"), folder="imet-2019-fgvc6",
                   description="FGVC6 (2019): 1,103 attributes, culture and tag"),
        ImetConfig(name="2020", groups=("country", "culture", "dimension", "medium", "tags"), folder="imet-2020-fgvc7",
                   description="FGVC7 (2020): 3,474 attributes, country, culture, dimension, medium and tags"),
    ]
    MANUAL_DOWNLOAD_INSTRUCTIONS = """\
The data is behind Kaggle's competition terms (no public archive). Accept the rules, then
  kaggle competitions download -c imet-2019-fgvc6     (config 2019; imet-2020-fgvc7 for config 2020)
and extract it so that --manual-dir holds train.csv, labels.csv and train/<id>.png (or holds the
extracted folder imet-2019-fgvc6/ / imet-2020-fgvc7/). test/ and sample_submission.csv are not used.
"""

    def _info(self) -> tfds.core.DatasetInfo:
        groups = {g: tfds.features.Sequence(tfds.features.ClassLabel()) for g in self.builder_config.groups}
        return self.dataset_info_from_configs(
            features=tfds.features.FeaturesDict(
                {"image": tfds.features.Image(shape=(None, None, 3)), "id": tfds.features.Text(), **groups}
            ),
            homepage=f"https://www.kaggle.com/c/{self.builder_config.folder}",
            citation=_CITATION,
            metadata=tfds.core.MetadataDict(),
        )

    def _split_generators(self, dl_manager: tfds.download.DownloadManager):
        root = require_manual_root(dl_manager, "imet", "train.csv, labels.csv and train/ from Kaggle")
        base = root / self.builder_config.folder if (root / self.builder_config.folder).is_dir() else root
        missing = [name for name in REQUIRED if not (base / name.rstrip("/")).exists()]
        if missing:
            raise missing_files_error("imet", base, missing, self.MANUAL_DOWNLOAD_INSTRUCTIONS)
        attributes = self._attributes(base / "labels.csv")
        items, unlabelled = self._items(base, attributes)
        splits = stratified_split(items, stratum=lambda _: 0, name=lambda item: item.key)
        unlabelled_by_split = {"train": unlabelled}
        return {s: self._generate_examples(s, splits.get(s, []), unlabelled_by_split.get(s, [])) for s in splits}

    def _attributes(self, labels_csv: epath.Path) -> dict[str, tuple[str, int]]:
        """attribute id -> (group, index in that group's class names); sets the names of each group."""
        table = read_csv(labels_csv)
        if not {"attribute_id", "attribute_name"} <= set(table.header):
            raise BuilderError(f"imet: {labels_csv} needs columns attribute_id, attribute_name; it has "
                              f"{', '.join(table.header)}")
        names: dict[str, list[str]] = {g: [] for g in self.builder_config.groups}
        attributes = {}
        for row in sorted(table.rows, key=lambda r: int(r["attribute_id"])):
            group, _, name = row["attribute_name"].partition("::")
            if group in names:
                attributes[row["attribute_id"]] = (group, len(names[group]))
                names[group].append(name)
        for group, group_names in names.items():
            if not group_names:
                raise BuilderError(f"imet: {labels_csv} has no '{group}::' attribute; config "
                                  f"{self.builder_config.name!r} expects groups {', '.join(names)}")
            self.info.features[group].feature.names = group_names
        return attributes

    def _items(self, base: epath.Path, attributes: dict[str, tuple[str, int]]):
        resolver = ImageResolver(base / "train")
        table = read_csv(base / "train.csv")
        if not {"id", "attribute_ids"} <= set(table.header):
            raise BuilderError(f"imet: {table.path} needs columns id, attribute_ids; it has {', '.join(table.header)}")
        items, unlabelled = [], []
        for line, row in enumerate(table.rows, start=2):
            path = resolver.resolve(row["id"])
            labels: dict[str, list[int]] = {g: [] for g in self.builder_config.groups}
            issues = []
            for attribute in row.get("attribute_ids", "").split():
                if attribute in attributes:
                    group, index = attributes[attribute]
                    labels[group].append(index)
                else:
                    issues.append({"column": "attribute_ids", "value": attribute, "reason": "unknown attribute id"})
            if not any(labels.values()):
                ids = row.get("attribute_ids", "")
                unlabelled.append((path, f"no known attribute id in {ids!r} (train.csv line {line})"))
                continue
            items.append(SourceItem(row["id"], path, {"id": row["id"], **labels}, issues, f"train.csv line {line}"))
        return items, unlabelled

    def _generate_examples(self, split: str, items: list[SourceItem], unlabelled: list):
        yield from validated_examples(self, split, items, unlabelled)
