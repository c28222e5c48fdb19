"""Louvre-4: paintings from the Louvre's online collection in four genres (Genre, Landscape, Naturmort, Portrait).

Source: github.com/Kozzlov/art-gange-classification-resnet18 at commit 89e62252cbca582c7416344877948c379c7ed466,
folders `painting_image_data/{train,val}/<class>` and `painting_image_test/test_standardized/<class>`.
"""

from __future__ import annotations

from etils import epath
import tensorflow_datasets as tfds

from tfds_builders.errors import BuilderError
from tfds_builders.class_folders import class_files, split_folders
from tfds_builders.manual_or_download import download_or_explain, manual_root
from tfds_builders.validated_examples import SourceItem, validated_examples

COMMIT = "89e62252cbca582c7416344877948c379c7ed466"
ARCHIVE_URL = f"https://github.com/Kozzlov/art-gange-classification-resnet18/archive/{COMMIT}.zip"
CLASSES = ("Genre", "Landscape", "Naturmort", "Portrait")
_LAYOUT = f"train/<class>/ and val/<class>/ (optionally test/<class>/) with classes {', '.join(CLASSES)}"

_CITATION = """\
@misc{kozzlov_louvre_genre,
  author = {Kozlov, Oleksandr},
  title = {art-gange-classification-resnet18: painting genre classification on Louvre collection images},
  howpublished = {\\url{https://github.com/Kozzlov/art-gange-classification-resnet18}},
  note = {commit 89e62252cbca582c7416344877948c379c7ed466; images from collections.louvre.fr}
}
"""


class Builder(tfds.core.GeneratorBasedBuilder):
    """Louvre-4 painting genres."""

    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "Initial release: validated images, duplicates dropped, quarantine manifest."}
    MANUAL_DOWNLOAD_INSTRUCTIONS = f"""\
Point --manual-dir at either
  (a) the extracted repository archive {ARCHIVE_URL}
      (it holds painting_image_data/train/<class>, painting_image_data/val/<class> and
      painting_image_test/test_standardized/<class>), or
  (b) a folder with split subfolders train/ and val/ (optionally test/), each holding the class
      folders {', '.join(CLASSES)}.
"""

    def _info(self) -> tfds.core.DatasetInfo:
        return self.dataset_info_from_configs(
            features=tfds.features.FeaturesDict(
                {
                    "image": tfds.features.Image(shape=(None, None, 3)),
                    "label": tfds.features.ClassLabel(names=CLASSES),
                    "file_name": tfds.features.Text(),
                }
            ),
            supervised_keys=("image", "label"),
            homepage="https://github.com/Kozzlov/art-gange-classification-resnet18",
            citation=_CITATION,
            metadata=tfds.core.MetadataDict(),
        )

    def _split_generators(self, dl_manager: tfds.download.DownloadManager):
        root = manual_root(dl_manager)
        if root is None:
            root = download_or_explain(dl_manager, ARCHIVE_URL, "louvre_genre", _LAYOUT)
        splits = find_splits(root)
        if "train" not in splits:
            raise BuilderError(
                f"louvre_genre: no train/ split with class folders under {root}; manual_dir must hold "
                "train/<class>/ and val/<class>/ (optionally test/<class>/), or the repository's "
                "painting_image_data/{train,val}/<class>/"
            )
        # Train first: a file repeated in val or test is then dropped from val or test, never from train.
        order = [s for s in ("train", "val", "test") if s in splits]
        return {name: self._generate_examples(name, splits[name]) for name in order}

    def _generate_examples(self, split: str, split_dir: epath.Path):
        items, unlabelled = [], []
        for path, class_name in class_files(split_dir):
            if class_name not in CLASSES:
                unlabelled.append((path, f"unknown class folder {class_name!r}"))
                continue
            key = f"{split}/{class_name}/{path.name}"
            items.append(SourceItem(key, path, {"label": class_name, "file_name": f"{class_name}/{path.name}"}))
        yield from validated_examples(self, split, items, unlabelled)


def find_splits(root: epath.Path) -> dict[str, epath.Path]:
    """Split folders in either layout: the repository's (possibly inside its archive's top folder) or plain."""
    candidates = [root] + [c for c in sorted(root.iterdir()) if c.is_dir()] if root.is_dir() else []
    for base in candidates:
        repo_data = base / "painting_image_data"
        if repo_data.is_dir():
            splits = split_folders(repo_data)
            test_dir = base / "painting_image_test" / "test_standardized"
            if test_dir.is_dir():
                splits["test"] = test_dir
            return splits
        splits = split_folders(base)
        if splits:
            return splits
    return {}
