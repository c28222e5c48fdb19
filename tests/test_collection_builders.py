"""What the collection builders do beyond TFDS conformance: labels as the sources say, top-N balancing,
multi-label groups, pluggable normalisers with -1 for missing labels, and the listed quarantine."""

import json
from pathlib import Path

import numpy as np
import pytest
import tensorflow_datasets as tfds

from artzoo.data.sources import prepare, tfds_builder
from artzoo.datasets_info import class_counts
from artzoo.errors import ArtzooError
from tfds_builders.ancient_art.ancient_art_dataset_builder import STUDY_COLUMNS, AncientArtConfig
from tfds_builders.dummy_images import IMET_ROWS, make_all
from tfds_builders.errors import BuilderError
from tfds_builders.label_columns import LabelColumn, register_normaliser
from tfds_builders.wikiart.wikiart_dataset_builder import wikiart_config

BUILDERS = Path(__file__).resolve().parent.parent / "tfds_builders"


def build(name, tmp_path, config=None, manual=None):
    builder = tfds_builder(name, tfds_dir=str(tmp_path / "tfds"), config=config)
    prepare(builder, str(manual or BUILDERS / name / "dummy_data"))
    return builder


def examples(builder, split):
    return list(tfds.as_numpy(builder.as_dataset(split=split, decoders={"image": tfds.decode.SkipDecoding()})))


def manifest(builder, split):
    return json.loads((Path(builder.data_dir) / f"quarantine_{split}.json").read_text())


def test_wikiart_examples_carry_all_three_tasks_labels(tmp_path):
    builder = build("wikiart", tmp_path, "genre")
    features = builder.info.features
    by_file = {ex["file_name"].decode(): ex for ex in examples(builder, "train")}
    monet = by_file["Impressionism/claude-monet_poplars.jpg"]
    assert features["genre"].int2str(monet["genre"]) == "landscape"
    assert features["style"].int2str(monet["style"]) == "Impressionism"
    assert features["artist"].int2str(monet["artist"]) == "Claude_Monet"
    assert by_file["Realism/ilya-repin_tolstoy.jpg"]["artist"] == -1  # not an artist-task class: -1, not a class
    train = manifest(builder, "train")
    reasons = {Path(i["file"]).name: i["reason"] for i in train["rejected"] + train["unlabelled"]}
    assert reasons["ilya-repin_lost-painting.jpg"] == "missing file (named in genre_train.csv line 12)"
    assert reasons["ivan-shishkin_rain.jpg"].startswith("class index 9 not in genre_class")


def test_wikiart_top_n_balanced_keeps_equal_classes_and_lists_the_rest(tmp_path):
    builder = build("wikiart", tmp_path, "genre_top2_balanced")
    assert builder.info.features["genre"].names == ["landscape", "portrait"]
    for split, per_class in (("train", 3), ("val", 1)):
        counts, missing = class_counts(builder, split)["genre"]
        assert counts.tolist() == [per_class, per_class] and missing == 0
        summary = builder.info.metadata["quarantine"][split]
        assert summary["total"] == sum(summary[k] for k in ("kept", "rejected", "duplicates", "unlabelled", "excluded"))
    excluded = [i["reason"] for i in manifest(builder, "train")["excluded"]]
    assert excluded.count("undersampled to 3 per class") == 2  # landscape 5 -> 3
    assert excluded.count("genre 'cityscape' is not among the top 2") == 2


def test_wikiart_config_names_and_missing_files_are_clear_errors(tmp_path):
    assert wikiart_config("style_top5_balanced").top_n == 5
    with pytest.raises(BuilderError, match=r"unknown wikiart config 'genre_top'; expected one of: genre, style"):
        wikiart_config("genre_top")
    (tmp_path / "only_images" / "wikiart").mkdir(parents=True)
    with pytest.raises(ArtzooError, match=r"lacks wikiart_csv/genre_class.txt, wikiart_csv/genre_train.csv"):
        build("wikiart", tmp_path, "genre", tmp_path / "only_images")


def test_wikiart_style_folders_reads_a_plain_tree_and_is_found_from_the_layout(tmp_path):
    folders = BUILDERS / "wikiart" / "dummy_data" / "style_folders"
    builder = tfds_builder("wikiart", tfds_dir=str(tmp_path / "tfds"), config="style", manual_dir=str(folders))
    assert builder.builder_config.name == "style_folders"  # the layout, not the config name given, decides
    prepare(builder, str(folders))
    features = builder.info.features
    assert features["style"].names == ["Baroque", "Impressionism", "Realism"]
    assert "genre" not in features and "artist" not in features
    by_file = {ex["file_name"].decode(): ex for ex in examples(builder, "val")}
    assert sorted(by_file) == ["Baroque/baroque_0.jpg", "Impressionism/impressionism_0.jpg", "Realism/realism_0.jpg"]
    assert features["style"].int2str(by_file["Realism/realism_0.jpg"]["style"]) == "Realism"
    val, train = manifest(builder, "val"), manifest(builder, "train")
    assert [i["reason"] for i in val["unlabelled"]] == ["style folder 'Cubism' is not among the train split's styles"]
    assert [Path(i["file"]).name for i in train["rejected"]] == ["baroque_broken.jpg"]
    # The ArtGAN layout still resolves to its own config.
    artgan = tfds_builder("wikiart", tfds_dir=str(tmp_path / "tfds"), config="style",
                          manual_dir=str(BUILDERS / "wikiart" / "dummy_data"))
    assert artgan.builder_config.name == "style"


def test_wikiart_style_folders_without_a_train_split_is_a_clear_error(tmp_path):
    (tmp_path / "styles" / "Baroque").mkdir(parents=True)
    with pytest.raises(ArtzooError, match=r"no train/ split with style folders under .*styles; --manual-dir must "
                                          r"hold train/<Style>/ and val/<Style>/"):
        build("wikiart", tmp_path, "style_folders", tmp_path / "styles")


def test_imet_groups_are_multi_label_features(tmp_path):
    builder = build("imet", tmp_path, "2019")
    culture, tag = builder.info.features["culture"].feature, builder.info.features["tag"].feature
    assert culture.names == ["american", "french", "japan"] and tag.names == ["flowers", "men", "women"]
    row = dict(zip([f"2019{i:04d}a1b2c3" for i in range(len(IMET_ROWS["2019"]))], IMET_ROWS["2019"]))
    every = [ex for split in builder.info.splits for ex in examples(builder, split)]
    assert len(every) == 10
    for ex in every:
        ids = [int(i) for i in row[ex["id"].decode()].split() if int(i) < 6]
        assert [culture.names[i] for i in ex["culture"]] == [["american", "french", "japan"][i] for i in ids if i < 3]
        assert [tag.names[i] for i in ex["tag"]] == [["flowers", "men", "women"][i - 3] for i in ids if i >= 3]
    issues = [i for split in builder.info.splits for i in manifest(builder, split)["label_issues"]]
    assert [(i["value"], i["reason"]) for i in issues] == [("99", "unknown attribute id")]


def test_ancient_art_normalises_values_and_keeps_missing_labels_as_minus_one(tmp_path):
    builder = build("ancient_art", tmp_path)
    names = {c: builder.info.features[c].names for c in ("culture", "medium", "period")}
    assert names["culture"] == ["Egyptian", "Greek", "Roman"]  # " greek " and "GREEK" are Greek, not new classes
    by_file = {ex["file_name"].decode(): ex for ex in examples(builder, "train")}
    etruscan = by_file["images/etruscan_sculpture_8.jpg"]
    assert etruscan["culture"] == -1 and names["medium"][etruscan["medium"]] == "sculpture"
    assert by_file["images/roman_painting_5.jpg"]["period"] == -1
    issues = {(Path(i["file"]).name, i["column"], i["reason"]) for i in manifest(builder, "train")["label_issues"]}
    assert issues == {("etruscan_sculpture_8.jpg", "culture", "unknown label 'Etruscan'"),
                      ("roman_painting_5.jpg", "period", "blank label")}
    counts, missing = class_counts(builder, "train")["culture"]
    assert counts.tolist() == [2, 3, 3] and missing == 1


def test_ancient_art_takes_plugged_in_normalisers_and_discovers_classes(tmp_path):
    @register_normaliser("initial_upper")
    def initial_upper(value):
        value = value.strip()
        return value[:1].upper() if value else None

    config = AncientArtConfig(name="initials", columns=(LabelColumn("culture", normaliser="initial_upper"),
                                                        STUDY_COLUMNS[1]))
    builder = build("ancient_art", tmp_path, config)
    assert builder.info.features["culture"].names == ["E", "G", "R"]  # discovered after normalising
    assert sum(builder.info.splits[s].num_examples for s in builder.info.splits) == 14


def test_art_folder_split_matches_the_plain_folder_rule(tmp_path):
    from artzoo.data.folders import scan_folder

    make_all(tmp_path / "builders")
    root = tmp_path / "builders" / "art_folder" / "dummy_data" / "classes"
    builder = tfds_builder("art_folder", tfds_dir=str(tmp_path / "tfds"), manual_dir=str(root))
    prepare(builder, str(root))
    scanned = scan_folder(root)
    for split in ("train", "val", "test"):
        built = sorted(ex["file_name"].decode() for ex in examples(builder, split))
        plain = sorted(f"{im.label}/{Path(im.path).name}" for im in scanned.splits[split])
        assert built == plain, split
    names = builder.info.features["label"].names
    assert np.bincount([names.index(f.split("/")[0]) for f in built]).tolist() == [1, 1, 1]


def test_art_folder_refuses_to_reuse_a_name_for_another_source(tmp_path):
    first, second = tmp_path / "a" / "works", tmp_path / "b" / "works"
    for root in (first, second):
        make_all(root.parent / "gen")
        (root.parent / "gen" / "art_folder" / "dummy_data" / "classes").rename(root)
    builder = tfds_builder("art_folder", tfds_dir=str(tmp_path / "tfds"), manual_dir=str(first))
    prepare(builder, str(first))
    again = tfds_builder("art_folder", tfds_dir=str(tmp_path / "tfds"), manual_dir=str(second))
    with pytest.raises(ArtzooError, match=r"was built from .*a/works.*pass --config NAME"):
        prepare(again, str(second))


def test_committed_dummy_data_is_what_the_generator_makes(tmp_path):
    """dummy_data is generated by tfds_builders/dummy_images.py, never edited by hand."""
    import io

    import tfds_builders
    from PIL import Image

    make_all(tmp_path)

    def files(root):
        return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())

    for name in tfds_builders.BUILDERS:
        committed, fresh = BUILDERS / name / "dummy_data", tmp_path / name / "dummy_data"
        assert files(committed) == files(fresh), name
        for rel in files(fresh):
            old, new = (committed / rel).read_bytes(), (fresh / rel).read_bytes()
            if rel.endswith((".jpg", ".png")) and old != new:  # another libjpeg may round differently
                a, b = (np.asarray(Image.open(io.BytesIO(x)).convert("RGB"), int) for x in (old, new))
                assert a.shape == b.shape and np.abs(a - b).max() <= 8, rel
            else:
                assert old == new, rel


def test_multi_label_groups_feed_sigmoid_heads_and_refuse_softmax(tmp_path):
    from artzoo.config import HeadConfig
    from artzoo.data.pipeline import make_dataset
    from artzoo.data.sources import load_tfds

    manual = str(BUILDERS / "imet" / "dummy_data")
    heads = [HeadConfig(name="culture", label="culture", type="sigmoid"),
             HeadConfig(name="tag", label="tag", type="sigmoid")]
    data = load_tfds("imet", heads, manual_dir=manual, tfds_dir=str(tmp_path / "tfds"), config="2019")
    every = {}
    for split in data.splits:
        batch = make_dataset(data.split(split), heads, {"culture": 3, "tag": 3}, 16, 16)
        for _, y, w in batch.as_numpy_iterator():
            every.setdefault("culture", []).append(y["culture"])
            every.setdefault("w", []).append(w["culture"])
    culture, weights = np.concatenate(every["culture"]), np.concatenate(every["w"])
    rows = [r.split() for r in IMET_ROWS["2019"]]
    assert culture.sum(axis=0).tolist() == [sum(str(c) in r for r in rows) for c in range(3)]
    assert (weights == 0).sum() == sum(not any(int(i) < 3 for i in r) for r in rows)  # no culture: masked
    with pytest.raises(ArtzooError, match="'culture' of dataset 'imet' is multi-label; head 'c' needs type: sigmoid"):
        load_tfds("imet", [HeadConfig(name="c", label="culture")], manual_dir=manual,
                  tfds_dir=str(tmp_path / "tfds"), config="2019")


def test_a_csv_whose_files_are_all_missing_is_an_error_naming_the_manifest(tmp_path):
    root = tmp_path / "ancient"
    root.mkdir()
    (root / "labels.csv").write_text("image,culture,medium,period\ngone/a.jpg,Greek,painting,early\n"
                                     "gone/b.jpg,Roman,sculpture,late\n")
    with pytest.raises(ArtzooError, match=r"split 'train' has no usable image \(2 files: 2 rejected.*quarantine_train"):
        build("ancient_art", tmp_path, manual=root)
