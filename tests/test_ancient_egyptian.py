"""The Egyptian museum task end to end on a small real subset of ../shared/data/egyptian_artifacts:
`artzoo datasets build/info` (with the raw value -> era / material mapping table) and a 1-epoch 3-head run
whose era and material losses are masked per item where the museum gave no usable label."""

import csv
import json
import shutil

import numpy as np
import pytest

from conftest import DATA, requires_shared, run_cli
from tfds_builders.normalisers.egyptian_era import ERA_NAMES, normalise_era
from tfds_builders.normalisers.materials import TAGS, normalise_materials

EGYPT = DATA / "egyptian_artifacts"
pytestmark = requires_shared(EGYPT)
PER_CLASS = {"train": 6, "val": 3}


@pytest.fixture(scope="module")
def egypt_small(tmp_path_factory):
    """Per object-type folder the first undated object and the first dated ones (6 train / 3 val objects),
    with their metadata rows: real Period and Medium strings, some blank."""
    with open(EGYPT / "metadata.csv", newline="") as f:
        reader = csv.DictReader(f)
        by_id = {r["ID"]: r for r in reader}
        fields = reader.fieldnames
    root = tmp_path_factory.mktemp("egypt_small")
    ids = {}
    for split, n in PER_CLASS.items():
        for folder in sorted((EGYPT / split).iterdir()):
            (root / split / folder.name).mkdir(parents=True)
            images = sorted(folder.glob("*.jpg"))
            undated = [im for im in images if normalise_era(by_id[im.stem]["Period"]) is None]
            chosen = undated[:1] + [im for im in images if im not in undated[:1]][: n - len(undated[:1])]
            for image in chosen:
                shutil.copy(image, root / split / folder.name / image.name)
                ids[image.stem] = split
    rows = [by_id[i] for i in ids]
    with open(root / "metadata.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    return root, rows, ids


@pytest.fixture(scope="module")
def tfds_dir(egypt_small, tmp_path_factory):
    from artzoo.datasets_info import build_dataset

    root, _, _ = egypt_small
    out = tmp_path_factory.mktemp("tfds")
    build_dataset("ancient_art", str(root), str(out), "egyptian")
    return out


def test_datasets_info_prints_the_mapping_of_every_period_and_medium_value(egypt_small, tfds_dir):
    _, rows, _ = egypt_small
    from artzoo.datasets_info import dataset_info

    lines = dataset_info("ancient_art", None, str(tfds_dir), "egyptian").splitlines()
    periods = {r["Period"].strip() for r in rows}
    media = {r["Medium"].strip() for r in rows}
    assert f"label mapping era (column 'Period', normaliser egyptian_era): {len(periods)} distinct values" in lines
    assert f"label mapping material (column 'Medium', normaliser materials): {len(media)} distinct values" in lines
    start = lines.index(next(l for l in lines if l.startswith("label mapping era")))
    table = {}
    for line in lines[start + 2: start + 2 + len(periods)]:
        count, rest = line.split(maxsplit=1)
        raw, label = rest.rsplit("  ", 1)
        table[raw.strip()] = (label.strip(), int(count))
    for period in periods:
        shown = " ".join(period.split()) or "(blank)"
        if len(shown) > 60:
            continue  # shortened in the table
        era = normalise_era(period)
        assert table[shown] == (era or "-", sum(r["Period"].strip() == period for r in rows)), period
    assert {label for label, _ in table.values()} <= set(ERA_NAMES) | {"-"}
    assert sum(n for _, n in table.values()) <= len(rows)


@pytest.fixture(scope="module")
def trained_run(tfds_dir, egypt_small, tmp_path_factory):
    root, _, _ = egypt_small
    run = tmp_path_factory.mktemp("ancient_run") / "run"
    result = run_cli("train", "--task", "ancient", "--manual-dir", str(root), "--tfds-dir", str(tfds_dir),
                     "--image-size", "96", "--batch-size", "16", "--epochs", "1", "--fine-tune-epochs", "0",
                     "--run-dir", str(run), "--no-export", "--quiet")
    assert result.returncode == 0, result.stderr[-3000:]
    return run


def test_three_heads_train_with_their_own_losses_and_metrics(trained_run):
    header = (trained_run / "history.csv").read_text().splitlines()[0].split(",")
    for head in ("object_type", "era", "material"):
        assert f"{head}_loss" in header and f"val_{head}_loss" in header, header
    val = json.loads((trained_run / "metrics.json").read_text())["val"]
    assert set(val["object_type"]["per_class"]) == {"Statuary", "Jewellery", "Pottery", "Reliefs", "Unclassified"}
    assert 0 <= val["era"]["macro"]["f1"] <= 1 and 0 <= val["material"]["f2_micro"] <= 1


def test_missing_era_and_material_are_masked_not_dropped(trained_run, egypt_small):
    """Every val object counts for object type; era and material count only the objects that have one."""
    _, rows, ids = egypt_small
    val_rows = [r for r in rows if ids[r["ID"]] == "val"]
    val = json.loads((trained_run / "metrics.json").read_text())["val"]
    assert val["object_type"]["n"] == len(val_rows)
    dated = sum(normalise_era(r["Period"]) is not None for r in val_rows)
    tagged = sum(bool(normalise_materials(r["Medium"])) for r in val_rows)
    assert dated < len(val_rows)  # the subset has undated objects: masking is exercised
    assert val["era"]["n"] == dated and val["material"]["n"] == tagged


def test_material_head_is_multi_label_sigmoid(trained_run):
    import keras

    from artzoo.models import layers  # noqa: F401  (custom layers)

    model = keras.models.load_model(trained_run / "model.keras", compile=False)
    out = model.predict(np.random.default_rng(0).uniform(0, 255, (4, 96, 96, 3)).astype("float32"), verbose=0)
    assert out["material"].shape == (4, len(TAGS)) and out["era"].shape == (4, len(ERA_NAMES))
    assert np.allclose(out["object_type"].sum(axis=1), 1, atol=1e-4)
    assert np.allclose(out["era"].sum(axis=1), 1, atol=1e-4)
    # Independent per-tag probabilities: in (0, 1) each, not a distribution over the tags.
    assert ((out["material"] > 0) & (out["material"] < 1)).all()
    assert not np.allclose(out["material"].sum(axis=1), 1, atol=1e-2)
