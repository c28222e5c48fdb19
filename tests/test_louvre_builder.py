"""louvre_genre in manual mode with the plain split layout, its quarantine, and its missing-data errors."""

import json
import shutil

import pytest
import tensorflow_datasets as tfds

from artzoo.data.sources import prepare, tfds_builder
from artzoo.errors import ArtzooError
from conftest import LOUVRE, copy_subset, run_cli
from tfds_builders.dummy_images import tiny_jpeg


@pytest.fixture()
def plain_layout(tmp_path):
    """train/val/test with 2 real paintings per class, plus a broken file, a duplicate and an unknown class."""
    if not LOUVRE.exists():
        pytest.skip("louvre data not present")
    root = copy_subset(LOUVRE, tmp_path / "louvre", {"train": 2, "val": 1})
    copy_subset(LOUVRE, tmp_path / "louvre_test_src", {"val": 1})
    shutil.copytree(tmp_path / "louvre_test_src" / "val", root / "test")
    # test images duplicate val images byte for byte -> dropped as duplicates from test, but one is new
    (root / "test" / "Genre" / "new.jpg").write_bytes(tiny_jpeg(5))
    (root / "train" / "Portrait" / "broken.jpg").write_bytes(b"this is not a jpeg")
    (root / "train" / "Sculpture").mkdir()
    (root / "train" / "Sculpture" / "x.jpg").write_bytes(tiny_jpeg(1))
    return root


def test_plain_layout_builds_validated_splits(plain_layout, tmp_path):
    builder = tfds_builder("louvre_genre", tfds_dir=str(tmp_path / "tfds"))
    prepare(builder, str(plain_layout))
    splits = builder.info.splits
    assert set(splits.keys()) == {"train", "val", "test"}
    assert splits["train"].num_examples == 8
    assert splits["val"].num_examples == 4
    quarantine = builder.info.metadata["quarantine"]
    assert quarantine["train"] == {"total": 10, "kept": 8, "normalised": 0, "rejected": 1, "duplicates": 0,
                                   "unlabelled": 1, "excluded": 0, "label_issues": 0}
    assert quarantine["test"]["duplicates"] == 4 and quarantine["test"]["kept"] == 1
    manifest = json.loads((tmp_path / "tfds" / "louvre_genre" / "1.0.0" / "quarantine_train.json").read_text())
    reasons = {item["file"].rsplit("/", 1)[-1]: item["reason"]
               for item in manifest["rejected"] + manifest["unlabelled"]}
    assert reasons["broken.jpg"].startswith("not an image")
    assert reasons["x.jpg"] == "unknown class folder 'Sculpture'"
    ds = builder.as_dataset(split="val")
    labels = sorted(builder.info.features["label"].int2str(int(ex["label"])) for ex in ds)
    assert labels == ["Genre", "Landscape", "Naturmort", "Portrait"]


def test_a_split_left_empty_by_validation_is_a_clear_error(plain_layout, tmp_path):
    (plain_layout / "test" / "Genre" / "new.jpg").unlink()
    builder = tfds_builder("louvre_genre", tfds_dir=str(tmp_path / "tfds"))
    with pytest.raises(ArtzooError, match=r"split 'test' has no usable image \(4 files: 0 rejected, 4 duplicates"):
        prepare(builder, str(plain_layout))


def test_missing_layout_names_the_folders_required(tmp_path):
    (tmp_path / "wrong" / "paintings").mkdir(parents=True)
    (tmp_path / "wrong" / "paintings" / "a.jpg").write_bytes(tiny_jpeg(0))
    builder = tfds_builder("louvre_genre", tfds_dir=str(tmp_path / "tfds"))
    with pytest.raises(ArtzooError, match=r"manual_dir must hold train/<class>/ and val/<class>/"):
        prepare(builder, str(tmp_path / "wrong"))


def test_offline_download_failure_says_use_manual_dir(tmp_path, monkeypatch):
    def offline(*args, **kwargs):
        raise ConnectionError("no network")

    monkeypatch.setattr(tfds.download.DownloadManager, "download_and_extract", offline)
    builder = tfds_builder("louvre_genre", tfds_dir=str(tmp_path / "tfds"))
    with pytest.raises(ArtzooError) as err:
        prepare(builder, None)
    message = str(err.value)
    assert "could not download" in message and "--manual-dir" in message and "\n" not in message


def test_unknown_dataset_lists_builders():
    with pytest.raises(ArtzooError, match=r"unknown dataset 'louvre'; expected one of: .*louvre_genre"):
        tfds_builder("louvre")


def test_cli_builds_and_reports_counts(plain_layout, tmp_path):
    result = run_cli("datasets", "build", "louvre_genre", "--manual-dir", str(plain_layout),
                     "--tfds-dir", str(tmp_path / "tfds"))
    assert result.returncode == 0, result.stderr[-2000:]
    assert "train: 8 images" in result.stdout
    assert "label: Genre 2, Landscape 2, Naturmort 2, Portrait 2" in result.stdout
    assert "quarantine train: total 10, kept 8" in result.stdout
