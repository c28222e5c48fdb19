"""Louvre-4 (genre labels) and WikiArt-7 (style labels) as one dataset for a genre x style coordinator.

`--manual-dir` holds the two collections side by side, each in its plain split layout (`../shared/data`):
`louvre_genre/{train,val}/<genre>/` and `wikiart_style7/{train,val}/<style>/`. Every example has `genre` and
`style`; the one its collection does not label is -1, which artzoo masks in that head's loss and metrics.
`source` says which collection an example came from (`data.balance: sources` balances the training stream
by the labels each item has, i.e. by collection here).
"""

from __future__ import annotations

import tensorflow_datasets as tfds

from tfds_builders.errors import BuilderError
from tfds_builders.class_folders import class_files
from tfds_builders.louvre_genre.louvre_genre_dataset_builder import CLASSES as GENRES, find_splits
from tfds_builders.manual_or_download import require_manual_root
from tfds_builders.validated_examples import SourceItem, validated_examples
from tfds_builders.wikiart.wikiart_folders import folder_splits, style_names

SOURCES = ("louvre_genre", "wikiart_style7")
_LAYOUT = ("louvre_genre/{train,val}/<genre>/ and wikiart_style7/{train,val}/<style>/ side by side "
           "(e.g. ../shared/data)")


class Builder(tfds.core.GeneratorBasedBuilder):
    """Louvre-4 genres + WikiArt-7 styles, each item labelled for one of the two."""

    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "Union of louvre_genre and wikiart style_folders; the missing label is -1."}
    MANUAL_DOWNLOAD_INSTRUCTIONS = f"Point --manual-dir at a folder holding {_LAYOUT}."

    def _info(self) -> tfds.core.DatasetInfo:
        return self.dataset_info_from_configs(
            features=tfds.features.FeaturesDict({
                "image": tfds.features.Image(shape=(None, None, 3)),
                "file_name": tfds.features.Text(),
                "source": tfds.features.ClassLabel(names=SOURCES),
                "genre": tfds.features.ClassLabel(names=GENRES),
                "style": tfds.features.ClassLabel(),
            }),
            homepage="https://github.com/Kozzlov/art-gange-classification-resnet18",
            metadata=tfds.core.MetadataDict(),
        )

    def _split_generators(self, dl_manager: tfds.download.DownloadManager):
        root = require_manual_root(dl_manager, "louvre_wikiart", _LAYOUT)
        genre_splits, style_splits = find_splits(root / SOURCES[0]), folder_splits(root / SOURCES[1])
        if "train" not in genre_splits or "train" not in style_splits:
            lacking = [s for s, splits in zip(SOURCES, (genre_splits, style_splits)) if "train" not in splits]
            raise BuilderError(f"louvre_wikiart: {root} lacks {' and '.join(f'{s}/train/' for s in lacking)}; "
                              f"--manual-dir must hold {_LAYOUT}")
        styles = style_names(style_splits["train"])
        self.info.features["style"].names = styles
        order = [s for s in ("train", "val", "test") if s in genre_splits or s in style_splits]
        return {split: self._generate_examples(split, genre_splits.get(split), style_splits.get(split), styles)
                for split in order}

    def _generate_examples(self, split: str, genre_dir, style_dir, styles: list[str]):
        items, unlabelled = [], []
        for source, split_dir, feature, names in ((SOURCES[0], genre_dir, "genre", GENRES),
                                                  (SOURCES[1], style_dir, "style", styles)):
            for path, name in class_files(split_dir) if split_dir is not None else ():
                if name not in names:
                    unlabelled.append((path, f"{source}: unknown {feature} folder {name!r}"))
                    continue
                rel = f"{source}/{name}/{path.name}"
                labels = {"genre": -1, "style": -1, feature: name}
                items.append(SourceItem(f"{split}/{rel}", path, {**labels, "source": source, "file_name": rel}))
        yield from validated_examples(self, split, items, unlabelled)
