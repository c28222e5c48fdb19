"""Bad input is one line naming it, found before any data is read or any model trained: non-finite numbers,
unknown monitor names, sizes out of range, a one-class softmax head, an empty --manual-dir (no download),
CSV paths leaving the data folder, quarantine records that would echo a file's bytes, a folder given as an
image."""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import tensorflow_datasets as tfds
from PIL import Image

from conftest import LOUVRE, copy_subset, requires_shared

from artzoo.cli import main
from artzoo.config import load_task_config
from artzoo.config_checks import check_run_config, monitor_names
from artzoo.data.sources import prepare, tfds_builder
from artzoo.errors import ArtzooError


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.strip().splitlines() if line.startswith("artzoo: error")]


@pytest.mark.parametrize("overrides, message", [
    ({"train.learning_rate": "nan"}, "config key 'train.learning_rate' is 'nan'; expected a finite number"),
    ({"train.learning_rate": float("inf")}, "config key 'train.learning_rate' is inf; expected a finite number"),
    ({"model.heads.genre.dropout": float("nan")}, "'model.heads.0.dropout' is nan; expected a finite number"),
    ({"train.monitor": "val_nosuch"}, "'train.monitor' is 'val_nosuch'; expected one of: val_loss, val_accuracy, "
                                      "val_top3, loss, accuracy, top3"),
    ({"data.shuffle_buffer": 0}, "'data.shuffle_buffer' is 0; expected an integer from 1 to 1000000"),
    ({"export.max_pixels": 0}, "'export.max_pixels' is 0; expected an integer from 1 to 1000000000"),
    ({"export.max_batch": 0}, "'export.max_batch' is 0; expected an integer from 1 to 65536"),
    ({"data.image_size": 100000}, "'data.image_size' is 100000; expected an integer from 1 to 2048"),
    ({"train.seed": -1}, "'train.seed' is -1; expected an integer from 0 to 4294967295"),
    ({"train.seed": 2**32}, "'train.seed' is 4294967296; expected an integer from 0 to 4294967295"),
    ({"export.name": "../elsewhere"}, "'export.name' is '../elsewhere'; expected a plain name"),
    ({"train.learning_rate": 50}, "'train.learning_rate' is 50.0; expected a value in (0, 10]"),
])
def test_bad_values_are_one_line_errors_naming_the_key(overrides, message):
    with pytest.raises(ArtzooError) as err:
        check_run_config(load_task_config("genre", overrides))
    assert message in str(err.value) and "\n" not in str(err.value)


def test_monitor_names_are_what_keras_logs():
    single = load_task_config("genre").model.heads
    assert "val_accuracy" in monitor_names(single) and "val_genre_accuracy" not in monitor_names(single)
    multi = load_task_config("genre_style").model.heads
    assert {"val_genre_accuracy", "val_style_loss", "val_loss"} <= set(monitor_names(multi))
    assert "val_accuracy" not in monitor_names(multi)
    assert "val_top3" not in monitor_names(single, {"genre": 3})  # top-3 of 3 classes is not logged
    check_run_config(load_task_config("genre_style", {"train.monitor": "val_style_accuracy"}))


def test_cli_rejects_a_nan_learning_rate_before_reading_data(tmp_path, capsys):
    code = main(["train", "--data-dir", str(tmp_path / "absent"), "--set", "train.learning_rate=nan",
                 "--run-dir", str(tmp_path / "run")])
    assert code == 2
    assert error_lines(capsys.readouterr().err) == [
        "artzoo: error: config key 'train.learning_rate' is 'nan'; expected a finite number"]
    assert not (tmp_path / "run").exists()


@requires_shared(LOUVRE)
def test_a_one_class_dataset_is_refused_naming_the_head_and_its_class(tmp_path, capsys):
    data = copy_subset(LOUVRE, tmp_path / "data", {"train": 3, "val": 2})
    for split in ("train", "val"):
        for folder in (data / split).iterdir():
            if folder.name != "Portrait":
                shutil.rmtree(folder)
    run = tmp_path / "run"
    code = main(["train", "--data-dir", str(data), "--backbone", "cnn3", "--weights", "none", "--image-size", "32",
                 "--run-dir", str(run), "--no-export", "--quiet"])
    assert code == 2
    assert error_lines(capsys.readouterr().err) == [
        "artzoo: error: head 'genre' has 1 class with train items ('Portrait' (3)); a softmax head needs at least "
        "two classes"]
    assert not run.exists()  # nothing written: the folder made for the run is removed again


def test_an_empty_manual_dir_is_an_error_not_a_download(tmp_path, monkeypatch):
    def no_download(*args, **kwargs):
        raise AssertionError("a download was attempted")

    monkeypatch.setattr(tfds.download.DownloadManager, "download_and_extract", no_download)
    empty = tmp_path / "empty"
    empty.mkdir()
    builder = tfds_builder("louvre_genre", tfds_dir=str(tmp_path / "tfds"))
    with pytest.raises(ArtzooError, match=r"manual dir '.*empty' is empty; put the dataset's files there, or "
                                          r"leave out --manual-dir to download"):
        prepare(builder, str(empty))
    with pytest.raises(ArtzooError, match="does not exist"):
        prepare(builder, str(tmp_path / "absent"))


def test_the_builders_helper_refuses_a_given_but_empty_manual_dir(tmp_path):
    from tfds_builders.errors import BuilderError
    from tfds_builders.manual_or_download import manual_root

    class Manager:  # what TFDS's DownloadManager does with a manual dir that is missing or empty
        def __init__(self, manual, download):
            self._manual_dir, self._download_dir = manual, download

        @property
        def manual_dir(self):
            raise AssertionError("Manual directory does not exist or is empty.")

    with pytest.raises(BuilderError, match="does not exist or is empty"):
        manual_root(Manager(tmp_path / "given", tmp_path / "dl"))
    assert manual_root(Manager(tmp_path / "dl" / "manual", tmp_path / "dl")) is None  # TFDS's default: download


def test_a_builder_error_reaching_artzoo_is_a_user_error_with_its_line():
    from artzoo.errors import as_user_error
    from tfds_builders.errors import BuilderError

    user = as_user_error(BuilderError("imet: labels.csv needs columns id, attribute_ids"))
    assert isinstance(user, ArtzooError) and user.exit_code == 2
    assert str(user) == "imet: labels.csv needs columns id, attribute_ids"
    assert as_user_error(ValueError("a bug")) is None  # only the builders' own type, not any ValueError


def test_csv_paths_stay_inside_the_data_folder_and_quarantine_never_echoes_content(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET-hostname-contents")
    root = tmp_path / "data" / "collection"
    images = root / "images"
    images.mkdir(parents=True)
    for i in range(6):
        array = np.random.default_rng(i).integers(0, 255, (16, 16, 3), dtype=np.uint8)
        Image.fromarray(array).save(images / f"{i}.png")
    (images / "notes.png").write_text("PASSWORD=hunter2 this is not an image")
    rows = [f"images/{i}.png,{'ab'[i % 2]},{'train' if i < 4 else 'val'}" for i in range(6)] + [
        "../../secret.txt,a,train", "images/../../../secret.txt,b,train", "images/notes.png,a,train"]
    (root / "labels.csv").write_text("image,label,split\n" + "\n".join(rows) + "\n")
    builder = tfds_builder("art_folder", tfds_dir=str(tmp_path / "tfds"), manual_dir=str(root / "labels.csv"))
    prepare(builder, str(root / "labels.csv"))
    text = "".join(p.read_text() for p in Path(builder.data_dir).glob("quarantine_*.json"))
    rejected = [(item["file"], item["reason"]) for p in Path(builder.data_dir).glob("quarantine_*.json")
                for item in json.loads(p.read_text())["rejected"]]
    outside = [reason for file, reason in rejected if file.endswith("/../../secret.txt")]
    assert outside == [f"path leads outside the data folder (it contains '..'); not read (named in labels.csv "
                       f"line {line})" for line in (8, 9)]
    assert (str(images / "notes.png"), "not an image: unrecognised text content (37 bytes)") in rejected
    assert "TOPSECRET" not in text and "hunter2" not in text and "PASSWORD" not in text


def test_predict_on_a_folder_says_so(tmp_path, capsys):
    assert main(["predict", str(tmp_path), str(tmp_path)]) == 2
    assert error_lines(capsys.readouterr().err) == [
        f"artzoo: error: image {str(tmp_path)!r} is a folder, not an image file (pass the files, e.g. "
        f"{tmp_path}/*.jpg)"]
