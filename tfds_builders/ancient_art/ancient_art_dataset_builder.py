"""ancient_art: photographs of ancient objects labelled with culture, medium and time period from a CSV.

The default config follows the ancient-art study (Greek, Roman and Egyptian art; architecture, painting,
sculpture; early, middle, late period). Label columns, their classes and how raw values are normalised
are config, not code: an `AncientArtConfig` lists `LabelColumn`s whose normalisers are registered by name
in `tfds_builders.label_columns` (museum metadata with free text plugs in its own). A blank or unknown
value gives label -1 for that column (masked in training, never a class) and is listed in the manifest;
a row with no usable label at all is set aside as unlabelled.

Config `egyptian` reads the museum collection in ../shared/data/egyptian_artifacts (metadata.csv + images in
train|val/<object type>/<ID>.jpg): object type (the Classification column, equal to the folder), era (Period
text and BCE dates on the chronology of `normalisers.egyptian_era`) and material (Medium text as multi-label
tags of `normalisers.materials`). The mapping of every distinct raw value is kept in the dataset's metadata
(`label_mappings`) and printed by `artzoo datasets info`.
"""

from __future__ import annotations

import dataclasses

import tensorflow_datasets as tfds

from tfds_builders.errors import BuilderError
from tfds_builders.csv_collection import IMAGE_COLUMN_NAMES, SPLIT_COLUMN_NAMES, csv_collection, pick_column, read_csv
from tfds_builders.label_columns import LabelColumn, mapping_table
from tfds_builders.manual_or_download import missing_files_error, require_manual_root
from tfds_builders.normalisers.egyptian_era import ERA_NAMES
from tfds_builders.normalisers.materials import TAGS
from tfds_builders.validated_examples import validated_examples

_CITATION = """\
@techreport{desrosiers_ancient_art,
  title = {Classifying Ancient Art with Neural Nets},
  author = {Desrosiers, Becky and Ferentinos, Alexandra and Landers, Peter and Jalali, Brendan},
  institution = {School of Data Science, University of Virginia},
  note = {Culture, medium and time-period sub-models on about 3.5k images of Greek, Roman and Egyptian art}
}
"""

STUDY_COLUMNS = (
    LabelColumn("culture", "culture", ("Egyptian", "Greek", "Roman"), "title"),
    LabelColumn("medium", "medium", ("architecture", "painting", "sculpture"), "lower"),
    LabelColumn("period", "period", ("early", "middle", "late"), "lower"),
)

OBJECT_TYPES = ("Statuary", "Jewellery", "Pottery", "Reliefs", "Unclassified")
EGYPTIAN_COLUMNS = (
    LabelColumn("object_type", "Classification", OBJECT_TYPES),
    LabelColumn("era", "Period", ERA_NAMES, "egyptian_era"),
    LabelColumn("material", "Medium", TAGS, "materials", multi_label=True),
)
# Columns whose normaliser only tidies text have nothing worth a mapping table.
_TIDY_NORMALISERS = ("strip", "lower", "title")


@dataclasses.dataclass(eq=False)
class AncientArtConfig(tfds.core.BuilderConfig):
    """csv_file: in manual_dir; image_column / split_column: empty = guessed from the header."""

    csv_file: str = "labels.csv"
    image_column: str = ""
    split_column: str = ""
    columns: tuple[LabelColumn, ...] = STUDY_COLUMNS


class Builder(tfds.core.GeneratorBasedBuilder):
    """Ancient art: culture, medium and period heads from one CSV."""

    VERSION = tfds.core.Version("1.1.0")
    RELEASE_NOTES = {
        "1.0.0": "CSV labels with pluggable normalisers; -1 for missing labels; validated images.",
        "1.1.0": "Multi-label columns; config egyptian; raw-value -> label mappings in the metadata.",
    }
    BUILDER_CONFIGS = [
        AncientArtConfig(name="culture_medium_period",
                         description="Egyptian/Greek/Roman, architecture/painting/sculpture, early/middle/late"),
        AncientArtConfig(name="egyptian", csv_file="metadata.csv", image_column="ID", columns=EGYPTIAN_COLUMNS,
                         description="Egyptian museum objects: object type, era (11 eras), material tags"),
    ]
    MANUAL_DOWNLOAD_INSTRUCTIONS = """\
There is no public archive of the study's images. Put into --manual-dir
  labels.csv  with a header row: image,culture,medium,period (optionally split = train/val/test);
              image = path relative to labels.csv's folder (or a file stem found below it);
              culture in Egyptian/Greek/Roman, medium in architecture/painting/sculpture,
              period in early/middle/late (case and spaces do not matter; blank = unknown)
  the images at those paths.
Without a split column (and without train/ val/ test/ folders in the paths) the rows are split 7:2:1
by culture. Other columns or vocabularies: add an AncientArtConfig to BUILDER_CONFIGS.
Config egyptian: --manual-dir holds metadata.csv (ID = image file stem, Classification, Period, Medium)
and the images below it, in train/ and val/ folders (../shared/data/egyptian_artifacts).
"""

    def _info(self) -> tfds.core.DatasetInfo:
        labels = {c.feature: _label_feature(c) for c in self.builder_config.columns}
        return self.dataset_info_from_configs(
            features=tfds.features.FeaturesDict(
                {"image": tfds.features.Image(shape=(None, None, 3)), "file_name": tfds.features.Text(), **labels}
            ),
            citation=_CITATION,
            metadata=tfds.core.MetadataDict(),
        )

    def _split_generators(self, dl_manager: tfds.download.DownloadManager):
        cfg = self.builder_config
        root = require_manual_root(dl_manager, "ancient_art", f"{cfg.csv_file} and the images it names")
        if not (root / cfg.csv_file).is_file():
            raise missing_files_error("ancient_art", root, [cfg.csv_file], self.MANUAL_DOWNLOAD_INSTRUCTIONS)
        table = read_csv(root / cfg.csv_file)
        image = pick_column(table, cfg.image_column, IMAGE_COLUMN_NAMES, "image")
        if image is None:
            raise BuilderError(f"ancient_art: no image column in {table.path}; expected one of "
                              f"{', '.join(IMAGE_COLUMN_NAMES)} or config image_column")
        split = pick_column(table, cfg.split_column, SPLIT_COLUMN_NAMES, "split")
        collection = csv_collection(table, image, cfg.columns, split)
        for column in cfg.columns:
            if column.classes is None:
                feature = self.info.features[column.feature]
                (feature.feature if column.multi_label else feature).names = collection.classes[column.feature]
        self.info.metadata["label_mappings"] = {
            c.feature: {"column": c.source, "normaliser": c.normaliser,
                        "rows": mapping_table(c, table.column(c.source))}
            for c in cfg.columns if c.normaliser not in _TIDY_NORMALISERS
        }
        order = [s for s in ("train", "val", "test") if s in collection.items]
        order += sorted(set(collection.items) - set(order))
        return {s: self._generate_examples(s, collection.items[s], collection.unlabelled.get(s, [])) for s in order}

    def _generate_examples(self, split, items, unlabelled):
        yield from validated_examples(self, split, items, unlabelled)


def _label_feature(column: LabelColumn):
    label = tfds.features.ClassLabel(names=column.classes) if column.classes else tfds.features.ClassLabel()
    return tfds.features.Sequence(label) if column.multi_label else label
