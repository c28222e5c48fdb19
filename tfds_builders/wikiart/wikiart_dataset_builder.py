"""WikiArt as released by ArtGAN (Tan et al.): paintings under style folders, genre / style / artist tasks.

Each config follows one task's train/val CSV split; every example also carries the other two tasks' labels
where that image appears in their CSVs (else -1), so genre + style heads can train together. Configs
`<task>_top<N>_balanced` keep the N classes with most training images and undersample each split so every
class has as many images as its smallest one, as ArtyLyze did for its genre (top 12) and style (top 13)
studies. Any such name works (`wikiart_config("style_top5_balanced")`), not only the predefined ones.

Config `style_folders` reads a style subset shipped as a plain `train/ val/ [test/]` tree of style folders
(WikiArt-7) instead; its examples have `image`, `file_name` and `style` only. A manual dir in that layout given
with config `style` (or none) is read as `style_folders`.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Optional

from etils import epath
import tensorflow_datasets as tfds

from tfds_builders.errors import BuilderError, choice_error
from tfds_builders.manual_or_download import download_or_explain, manual_root, missing_files_error, require_manual_root
from tfds_builders.undersampling import undersampled_examples
from tfds_builders.validated_examples import SourceItem, validated_examples
from tfds_builders.wikiart.wikiart_files import TASKS, TaskFiles, find_image_root, load_task, required_files
from tfds_builders.wikiart.wikiart_folders import (
    FOLDERS_LAYOUT, folder_examples, folder_splits, is_folder_layout, style_names,
)

IMAGES_URL = "http://web.fsktm.um.edu.my/~cschan/source/ICIP2017/wikiart.zip"
CSV_URL = "http://web.fsktm.um.edu.my/~cschan/source/ICIP2017/wikiart_csv.zip"
_NAME = re.compile(r"^(genre|style|artist)(?:_top(\d+))?(_balanced)?$")

_CITATION = """\
@article{artgan2018,
  title = {Improved ArtGAN for Conditional Synthesis of Natural Image and Artwork},
  author = {Tan, Wei Ren and Chan, Chee Seng and Aguirre, Hernan and Tanaka, Kiyoshi},
  journal = {IEEE Transactions on Image Processing},
  volume = {28}, number = {1}, pages = {394--409}, year = {2019},
  doi = {10.1109/TIP.2018.2866698}
}
"""


@dataclasses.dataclass(eq=False)
class WikiartConfig(tfds.core.BuilderConfig):
    """task: whose CSV split and classes; top_n: keep that many classes (0: all); balanced: undersample;
    layout: "artgan" (style folders + CSV splits) or "folders" (split/style folders, style only)."""

    task: str = "genre"
    top_n: int = 0
    balanced: bool = False
    seed: int = 0
    layout: str = "artgan"


STYLE_FOLDERS = WikiartConfig(name="style_folders", task="style", layout="folders",
                              description=f"a style subset as plain class folders: {FOLDERS_LAYOUT}")


def wikiart_config(name: str) -> WikiartConfig:
    """Parses `<task>[_top<N>][_balanced]` (or `style_folders`) into a config."""
    if name == STYLE_FOLDERS.name:
        return STYLE_FOLDERS
    match = _NAME.match(name)
    if not match:
        allowed = [c.name for c in Builder.BUILDER_CONFIGS] + ["<task>_top<N>_balanced"]
        raise choice_error("wikiart config", name, allowed)
    task, top, balanced = match.groups()
    what = f"top {top} {task} classes" if top else f"all {task} classes"
    return WikiartConfig(name=name, task=task, top_n=int(top or 0), balanced=bool(balanced),
                         description=f"ArtGAN {task} split, {what}{', undersampled to balance' if balanced else ''}")


def resolve_config(name: Optional[str], manual_dir: Optional[str], **_):
    """Configs made on request; a plain style-folder tree asked for as `style` (or no config) is `style_folders`."""
    if name in (None, "style") and is_folder_layout(manual_dir):
        return STYLE_FOLDERS.name
    if name is None or name in {c.name for c in Builder.BUILDER_CONFIGS}:
        return name
    return wikiart_config(name)


class Builder(tfds.core.GeneratorBasedBuilder):
    """ArtGAN WikiArt: genre, style and artist classification."""

    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "ArtGAN CSV splits; cross-task labels; top-N balanced configs; validated images; "
                              "style_folders for plain train/val/test style-folder trees."}
    BUILDER_CONFIGS = [*(wikiart_config(n)
                         for n in ("genre", "style", "artist", "genre_balanced", "style_top13_balanced")),
                       STYLE_FOLDERS]
    MANUAL_DOWNLOAD_INSTRUCTIONS = f"""\
Download and extract into --manual-dir
  {IMAGES_URL}   (25.4 GB; gives wikiart/<Style>/<image>.jpg)
  {CSV_URL}   (gives wikiart_csv/)
so that it holds wikiart/<Style>/... and wikiart_csv/genre_class.txt, genre_train.csv, genre_val.csv and the
same three files for style and artist. ArtGAN's GitHub copy ("WikiArt Dataset/<Task>/") works for the CSVs.
Config style_folders instead wants {FOLDERS_LAYOUT} (e.g. WikiArt-7).
"""

    def _info(self) -> tfds.core.DatasetInfo:
        tasks = ("style",) if self.builder_config.layout == "folders" else TASKS
        return self.dataset_info_from_configs(
            features=tfds.features.FeaturesDict({
                "image": tfds.features.Image(shape=(None, None, 3)),
                "file_name": tfds.features.Text(),
                **{task: tfds.features.ClassLabel() for task in tasks},
            }),
            supervised_keys=("image", self.builder_config.task),
            homepage="https://github.com/cs-chan/ArtGAN/tree/master/WikiArt%20Dataset",
            citation=_CITATION,
            metadata=tfds.core.MetadataDict(),
        )

    def _split_generators(self, dl_manager: tfds.download.DownloadManager):
        if self.builder_config.layout == "folders":
            return self._folder_generators(dl_manager)
        roots = self._roots(dl_manager)
        tasks = {task: load_task(roots, task) for task in TASKS}
        task = self.builder_config.task
        missing = [f for name, files in tasks.items() if files is None for f in required_files(name)]
        if missing:  # wikiart_csv.zip holds all nine files; every example carries all three labels
            raise missing_files_error("wikiart", roots[0], missing, self.MANUAL_DOWNLOAD_INSTRUCTIONS)
        main = tasks[task]
        keep = self._kept_classes(main)
        for name, files in tasks.items():
            self.info.features[name].names = [main.names[i] for i in keep] if name == task else files.names
        sample = [path for path, _, _ in main.rows["train"][:50]]
        image_root = find_image_root(roots, sample)
        lookups = {name: _label_lookup(files) for name, files in tasks.items() if name != task}
        return {split: self._generate_examples(split, main, keep, image_root, lookups) for split in ("train", "val")}

    def _folder_generators(self, dl_manager):
        root = require_manual_root(dl_manager, "wikiart style_folders", FOLDERS_LAYOUT)
        splits = folder_splits(root)
        styles = style_names(splits["train"]) if "train" in splits else []
        if not styles:
            raise BuilderError(f"wikiart style_folders: no train/ split with style folders under {root}; "
                              f"--manual-dir must hold {FOLDERS_LAYOUT}")
        self.info.features["style"].names = styles
        # Train first: a file repeated in val or test is then dropped from val or test, never from train.
        order = [s for s in ("train", "val", "test") if s in splits]
        return {split: folder_examples(self, split, splits[split], styles) for split in order}

    def _roots(self, dl_manager) -> list[epath.Path]:
        root = manual_root(dl_manager)
        if root is not None:
            return [root]
        got = download_or_explain(dl_manager, {"images": IMAGES_URL, "csv": CSV_URL}, "wikiart",
                                  "wikiart/<Style>/ and wikiart_csv/ (see the wikiart README)")
        return [got["csv"], got["images"]]

    def _kept_classes(self, main: TaskFiles) -> list[int]:
        """Class indices kept, in the class list's order (top_n by training count, ties by index)."""
        counts = [0] * len(main.names)
        for _, index, _ in main.rows["train"]:
            if 0 <= index < len(counts):
                counts[index] += 1
        n = self.builder_config.top_n or len(counts)
        if n > len(counts):
            raise BuilderError(f"wikiart: top_n {n} exceeds the {len(counts)} {main.task} classes")
        ranked = sorted(range(len(counts)), key=lambda i: (-counts[i], i))[:n]
        return sorted(ranked)

    def _generate_examples(self, split, main: TaskFiles, keep, image_root, lookups):
        cfg = self.builder_config
        remap = {old: new for new, old in enumerate(keep)}
        groups: dict[int, list[SourceItem]] = {}
        unlabelled, excluded = [], []
        origin = main.sources[split]
        for rel, index, line in main.rows[split]:
            path = image_root / rel
            if not 0 <= index < len(main.names):
                unlabelled.append((path, f"class index {index} not in {cfg.task}_class ({origin} line {line})"))
            elif index not in remap:
                excluded.append((path, f"{cfg.task} {main.names[index]!r} is not among the top {cfg.top_n}"))
            else:
                features = {"file_name": rel, cfg.task: remap[index],
                            **{task: lookup.get(rel, -1) for task, lookup in lookups.items()}}
                groups.setdefault(index, []).append(SourceItem(rel, path, features, origin=f"{origin} line {line}"))
        if cfg.balanced:
            yield from undersampled_examples(self, split, groups, excluded, unlabelled, seed=cfg.seed)
        else:
            items = [item for index in sorted(groups) for item in groups[index]]
            yield from validated_examples(self, split, items, unlabelled, excluded=excluded)


def _label_lookup(files: TaskFiles) -> dict[str, int]:
    """Image path -> class index of another task, over both its splits."""
    return {rel: index for rows in files.rows.values() for rel, index, _ in rows if 0 <= index < len(files.names)}
