"""`artzoo datasets list | build | info`, art_folder on the real collections, and a CSV collection feeding
a multi-head pipeline."""

from pathlib import Path

import numpy as np
import pytest

from artzoo.cli import main
from artzoo.config import HeadConfig
from artzoo.data.pipeline import make_dataset
from artzoo.data.sources import load_tfds
from conftest import CIFAR, LOUVRE, requires_shared
from tfds_builders.dummy_images import make_all


@pytest.fixture()
def dummy(tmp_path) -> Path:
    make_all(tmp_path / "builders")
    return tmp_path / "builders"


def cli(capsys, *args) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_list_build_info_report_counts_per_class_and_quarantine(dummy, tmp_path, capsys):
    tfds_dir = str(tmp_path / "tfds")
    code, out, _ = cli(capsys, "datasets", "list", "--tfds-dir", tfds_dir)
    assert code == 0 and [line.split()[0] for line in out.splitlines()[::2]] == [
        "louvre_genre", "wikiart", "imet", "ancient_art", "art_folder", "louvre_wikiart"]
    assert "configs: genre, style, artist, genre_balanced, style_top13_balanced, style_folders; prepared: -" in out

    code, out, _ = cli(capsys, "datasets", "info", "imet", "--config", "2020", "--tfds-dir", tfds_dir)
    assert code == 0 and "imet/2020/1.0.0 is not prepared" in out and "kaggle competitions download" in out

    manual = str(dummy / "imet" / "dummy_data")
    code, out, _ = cli(capsys, "datasets", "build", "imet", "--config", "2019", "--manual-dir", manual,
                       "--tfds-dir", tfds_dir)
    assert code == 0, out
    assert "train: 7 images" in out
    assert "  culture (multi-label): american " in out and "  tag (multi-label): flowers " in out
    assert "quarantine train: total 9, kept 7, normalised 0, rejected 1, duplicates 0, unlabelled 1" in out

    code, again, _ = cli(capsys, "datasets", "info", "imet", "--config", "2019", "--tfds-dir", tfds_dir)
    assert code == 0 and again[again.index("train:"):] == out[out.index("train:"):]  # info reads what build said
    code, out, _ = cli(capsys, "datasets", "list", "--tfds-dir", tfds_dir)
    assert "configs: 2019, 2020; prepared: 2019" in out


def test_a_builder_error_is_one_line_and_exit_status_2(tmp_path, capsys):
    table = tmp_path / "works.csv"
    table.write_text("image\na.jpg\n")
    code, out, err = cli(capsys, "datasets", "build", "art_folder", "--manual-dir", str(table),
                         "--tfds-dir", str(tmp_path / "tfds"))
    assert code == 2 and out == ""
    assert err == f"artzoo: error: CSV file {str(table)!r} has no label column besides image column 'image'\n"


def test_art_folder_from_a_csv_names_its_config_and_lists_label_columns(dummy, tmp_path, capsys):
    csv = dummy / "art_folder" / "dummy_data" / "table" / "labels.csv"
    tfds_dir = str(tmp_path / "tfds")
    code, out, _ = cli(capsys, "datasets", "build", "art_folder", "--manual-dir", str(csv), "--tfds-dir", tfds_dir)
    assert code == 0 and "\nart_folder/table_labels/1.0.0 prepared in " in out
    assert "  material: bronze 4, marble 5, terracotta 4" in out
    assert "  era: archaic 4, classical 4, hellenistic 3; no label 2" in out  # blank era: -1, not a class
    code, _, err = cli(capsys, "datasets", "info", "art_folder", "--config", "nope", "--tfds-dir", tfds_dir)
    assert code == 2 and "unknown config of dataset 'art_folder'" in err and "table_labels" in err
    code, _, err = cli(capsys, "datasets", "build", "art_folder", "--manual-dir", str(csv), "--label-columns",
                       "colour", "--config", "other", "--tfds-dir", tfds_dir)
    assert code == 2 and "label column 'colour' not in" in err and "image, material, era" in err


def test_csv_collection_feeds_one_target_per_head(dummy, tmp_path):
    csv = dummy / "art_folder" / "dummy_data" / "table" / "labels.csv"
    heads = [HeadConfig(name="material", label="material"), HeadConfig(name="era", label="era")]
    data = load_tfds("art_folder", heads, manual_dir=str(csv), tfds_dir=str(tmp_path / "tfds"))
    assert data.classes == {"material": ["bronze", "marble", "terracotta"],
                            "era": ["archaic", "classical", "hellenistic"]}
    assert data.counts["train"] == {"material": [4, 5, 4], "era": [4, 4, 3]}
    batch = make_dataset(data.split("train"), heads, {"material": 3, "era": 3}, 16, 13)
    images, targets, weights = next(batch.as_numpy_iterator())
    assert images.shape == (13, 16, 16, 3)
    assert targets["material"].sum(axis=0).tolist() == [4, 5, 4]
    assert weights["era"].sum() == 11 and weights["material"].sum() == 13  # blank era masked, not a class


@requires_shared(LOUVRE)
def test_art_folder_builds_the_louvre_collection(tmp_path, capsys):
    code, out, _ = cli(capsys, "datasets", "build", "art_folder", "--manual-dir", str(LOUVRE), "--tfds-dir",
                       str(tmp_path / "tfds"))
    assert code == 0
    for split in ("train", "val"):
        counts = {c.name: len(list(c.iterdir())) for c in sorted((LOUVRE / split).iterdir())}
        assert f"{split}: {sum(counts.values())} images" in out
        assert "  label: " + ", ".join(f"{k} {v}" for k, v in counts.items()) in out


@pytest.mark.large
@requires_shared(CIFAR)
def test_art_folder_builds_cifar10_test_split_7_2_1(tmp_path, capsys):
    code, out, _ = cli(capsys, "datasets", "build", "art_folder", "--manual-dir", str(CIFAR), "--tfds-dir",
                       str(tmp_path / "tfds"))
    assert code == 0
    assert "train: 7000 images" in out and "val: 2000 images" in out and "test: 1000 images" in out
    assert "  label: airplane 700, automobile 700," in out and "truck 700" in out
    assert np.all([f"{c} 100" in out.split("test: 1000 images")[1] for c in ("airplane", "truck")])
