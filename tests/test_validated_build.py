"""Building a dataset of problem files plus good images: nothing crashes, each file is normalised or
quarantined with its reason, and the outcomes add up to the files given."""

import json

import numpy as np
import pytest
import tensorflow_datasets as tfds

from artzoo.data.folders import scan_folder
from artzoo.data.sources import prepare, tfds_builder
from problem_images import make_problem_images
from tfds_builders.dummy_images import tiny_jpeg


@pytest.fixture()
def problem_collection(tmp_path):
    """train/Painting holds every problem file and train/Sculpture good images; val/ good images."""
    root = tmp_path / "collection"
    expected = make_problem_images(root / "train" / "Painting")
    for i in range(4):
        (root / "train" / "Sculpture").mkdir(parents=True, exist_ok=True)
        (root / "train" / "Sculpture" / f"s{i}.jpg").write_bytes(tiny_jpeg(500 + i))
        for cls in ("Painting", "Sculpture"):
            (root / "val" / cls).mkdir(parents=True, exist_ok=True)
            (root / "val" / cls / f"v{i}.jpg").write_bytes(tiny_jpeg(600 + i + 10 * len(cls)))
    return root, expected


def test_art_folder_build_quarantines_or_normalises_every_problem_file(problem_collection, tmp_path):
    root, expected = problem_collection
    builder = tfds_builder("art_folder", tfds_dir=str(tmp_path / "tfds"), manual_dir=str(root))
    prepare(builder, str(root))

    manifest = json.loads((builder.data_path / "quarantine_train.json").read_text())
    summary = builder.info.metadata["quarantine"]["train"]
    files_given = len(expected) + 4
    outcomes = summary["kept"] + summary["rejected"] + summary["duplicates"] + summary["unlabelled"]
    assert summary["total"] == files_given == outcomes
    assert builder.info.splits["train"].num_examples == summary["kept"]

    rejected = {item["file"].rsplit("/", 1)[-1]: item["reason"] for item in manifest["rejected"]}
    duplicates = {item["file"].rsplit("/", 1)[-1] for item in manifest["duplicates"]}
    kept_names = {ex["file_name"].decode().split("/")[-1] for ex in tfds.as_numpy(builder.as_dataset(split="train"))}
    for name, want in expected.items():
        if want.outcome == "rejected":
            assert want.phrase in rejected[name], (name, rejected.get(name))
        elif want.outcome == "duplicate":
            assert name in duplicates
        else:
            assert name in kept_names, name
    normalised = sum(1 for want in expected.values() if want.outcome == "kept" and want.phrase)
    assert summary["normalised"] == normalised

    for example in tfds.as_numpy(builder.as_dataset(split="train")):
        image = example["image"]
        assert image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] == 3


def test_plain_folder_reading_gives_the_same_outcomes(problem_collection):
    root, expected = problem_collection
    scanned = scan_folder(root)
    quarantined = {item["file"].rsplit("/", 1)[-1]: item["reason"] for item in scanned.quarantined}
    bad = {name for name, want in expected.items() if want.outcome in ("rejected", "duplicate")}
    assert set(quarantined) == bad
    assert len(scanned.splits["train"]) + len(bad) == len(expected) + 4
    assert quarantined["z_copy_of_good_0.jpg"].startswith("duplicate of")
