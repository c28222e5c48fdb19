"""Exporting a trained genre run: SavedModel served without artzoo, its signatures, errors and warmup; versions;
.keras, TFLite and ONNX with parity; `artzoo predict` on each format."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import LOUVRE, REPO, run_cli
from export_helpers import GENRES, make_genre_run, normalise_saved_model_cli, pipeline_pixels

IMAGE_SIZE = 96
GOLDEN = Path(__file__).parent / "golden" / "saved_model_cli_genre.txt"


@pytest.fixture(scope="module")
def genre(louvre_small, tmp_path_factory):
    """A trained genre run, its SavedModel exported through the CLI, and the subset's val files."""
    root = tmp_path_factory.mktemp("export_genre")
    run = make_genre_run(root, louvre_small, IMAGE_SIZE)
    result = run_cli("export", str(run.root), "--out", str(root / "saved_models" / "genre"))
    assert result.returncode == 0, result.stderr[-3000:]
    files = sorted(str(p) for p in (louvre_small / "val").glob("*/*.jpg"))
    import keras

    model = keras.models.load_model(run.model_path, safe_mode=True)
    return {"root": root, "run": run, "version": root / "saved_models" / "genre" / "1", "files": files,
            "model": model, "stdout": result.stdout}


def keras_reference(genre, files):
    probs = genre["model"].predict(pipeline_pixels(files, IMAGE_SIZE), verbose=0)["genre"]
    return probs, [GENRES[i] for i in probs.argmax(axis=1)]


def serve_without_artzoo(version_dir: Path, files: list[str], tmp_path: Path) -> dict:
    out = tmp_path / "served.json"
    script = Path(__file__).parent / "serve_without_artzoo.py"
    result = subprocess.run([sys.executable, str(script), str(version_dir), json.dumps(files), str(out)],
                            capture_output=True, text=True, cwd="/", timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(out.read_text())


def check_served(served: dict, genre: dict, files: list[str]) -> None:
    assert served["artzoo_modules"] == []
    keras_probs, keras_top1 = keras_reference(genre, files)
    assert served["top1"] == keras_top1
    probs = np.array(served["probabilities"])
    assert np.abs(probs - np.array(served["float_probabilities"])).max() <= 1e-4
    assert np.abs(probs - np.array(served["batch1_probabilities"])).max() <= 1e-4
    assert np.abs(probs - keras_probs).max() <= 1e-4
    assert sum(served["batch_sizes"]) == len(files) and max(served["batch_sizes"]) == 7


@pytest.fixture(scope="module")
def served(genre, tmp_path_factory):
    return serve_without_artzoo(genre["version"], genre["files"], tmp_path_factory.mktemp("served"))


def test_served_without_artzoo_matches_keras_top1_and_float_signature(genre, served):
    assert len(genre["files"]) == 24
    check_served(served, genre, genre["files"])
    # A trained head, not a constant answer: ImageNet features separate these genres.
    assert len(set(served["top1"])) >= 3


@pytest.mark.large
def test_all_200_louvre_val_images_served_without_artzoo(genre, tmp_path):
    files = sorted(str(p) for p in (LOUVRE / "val").glob("*/*.jpg"))
    assert len(files) == 200
    check_served(serve_without_artzoo(genre["version"], files, tmp_path), genre, files)


def test_bad_inputs_fail_clearly_and_the_model_keeps_serving(served):
    errors = served["errors"]
    assert errors["corrupt"] == ["jpeg::Uncompress failed. Invalid JPEG data or crop window."]
    assert errors["oversized_pixels"] == [
        "assertion failed: [image_bytes[1]: 20000x20000 pixels exceed the limit of 4000000 pixels]"]
    assert errors["oversized_bytes"] == [
        "assertion failed: [image_bytes[1]: 25000003 bytes exceed the limit of 20000000 bytes]"]
    assert errors["oversized_images"] == [
        "assertion failed: [images: 6000x8000 pixels; expected 1 to 4000000 pixels per image]"]
    assert served["repeat_max_diff"] == 0.0


def test_warmup_records_parse_and_replay_on_both_signatures(served):
    warmup = served["warmup"]
    assert [w["signature"] for w in warmup] == ["serving_default", "serving_default", "serving_images"]
    assert [w["inputs"] for w in warmup] == [["image_bytes"], ["image_bytes"], ["images"]]
    assert [w["batch"] for w in warmup] == [2, 1, 1]
    expected = ["genre_probabilities", "genre_top_k_ids", "genre_top_k_labels", "genre_top_k_scores"]
    assert all(w["outputs"] == expected for w in warmup)


def test_saved_model_cli_lists_both_signatures_as_the_golden_copy(genre):
    result = subprocess.run(
        [sys.executable, "-m", "tensorflow.python.tools.saved_model_cli", "show", "--dir", str(genre["version"]),
         "--all"], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert normalise_saved_model_cli(result.stdout) == GOLDEN.read_text()


def test_export_metadata_and_versions_never_overwrite(genre, capsys):
    from artzoo.cli import main
    from artzoo.export.saved_model import read_metadata

    assert genre["stdout"].strip() == f"exported saved_model: {genre['version']}"
    meta = read_metadata(genre["version"])
    assert meta["heads"][0]["classes"] == GENRES and meta["image_size"] == IMAGE_SIZE
    assert meta["parity"]["max_abs_diff"]["genre"] <= 1e-4 and meta["parity"]["warmup_requests_replayed"]
    base = genre["version"].parent
    before = (genre["version"] / "saved_model.pb").read_bytes()
    assert main(["export", str(genre["run"].root)]) == 0  # default --out: <export.dir>/<export.name>
    assert capsys.readouterr().out.strip() == f"exported saved_model: {base / '2'}"
    assert main(["export", str(genre["run"].root), "--version", "1"]) == 2
    assert capsys.readouterr().err.strip() == (
        f"artzoo: error: export version {base / '1'} already exists; versions are never overwritten")
    assert (genre["version"] / "saved_model.pb").read_bytes() == before
    assert sorted(p.name for p in base.iterdir()) == ["1", "2"]  # no temporary folder left behind


def test_tta_export_serves_the_mean_over_the_image_and_its_mirror(genre, capsys):
    """`artzoo export --tta flip`: the SavedModel's probabilities are the Keras model's averaged over each image
    and its mirror (not the plain model's), recorded in artzoo.json; the plain export stays plain."""
    import tensorflow as tf

    from artzoo.cli import main
    from artzoo.export.saved_model import read_metadata

    out = genre["root"] / "tta_models" / "genre"
    assert main(["export", str(genre["run"].root), "--tta", "flip", "--out", str(out)]) == 0
    capsys.readouterr()
    version = out / "1"
    assert read_metadata(version)["tta"] == "flip" and read_metadata(genre["version"])["tta"] == "none"
    files = genre["files"][:6]
    pixels = pipeline_pixels(files, IMAGE_SIZE)
    plain = genre["model"].predict(pixels, verbose=0)["genre"]
    mirrored = genre["model"].predict(pixels[:, :, ::-1].copy(), verbose=0)["genre"]
    served = tf.saved_model.load(str(version)).signatures["serving_images"](images=tf.constant(pixels))
    probs = served["genre_probabilities"].numpy()
    assert np.abs(probs - (plain + mirrored) / 2).max() <= 1e-4
    assert np.abs(plain - mirrored).max() > 1e-3  # the mirror does change the plain model's answer

    # predict --tta flip on the plain export gives the same averaged answer; on the TTA export it is refused
    from artzoo.exported_model import open_exported
    from artzoo.predictor import predict_files

    tta_out = open_exported(genre["version"], tta="flip").outputs([Path(f).read_bytes() for f in files])
    assert np.abs(tta_out["genre_probabilities"] - probs).max() <= 1e-4
    top = predict_files(genre["version"], files, tta="flip")
    assert [e["genre"][0]["label"] for e in top] == [GENRES[i] for i in probs.argmax(axis=1)]
    assert main(["predict", str(version), files[0], "--tta", "flip"]) == 2
    assert "was exported with test-time augmentation 'flip' inside; predict without --tta" in capsys.readouterr().err


@pytest.mark.parametrize("fmt", ["keras", "tflite", "onnx"])
def test_file_formats_match_keras_and_predict_from_their_own_metadata(genre, fmt, capsys):
    from artzoo.cli import main
    from artzoo.exported_model import open_exported

    out = genre["root"] / "files" / "genre"
    assert main(["export", str(genre["run"].root), "--format", fmt, "--out", str(out)]) == 0
    path = out.with_name(f"genre.{fmt}")
    assert capsys.readouterr().out.strip() == f"exported {fmt}: {path}"
    files = genre["files"]
    exported = open_exported(path)
    pixels = pipeline_pixels(files, IMAGE_SIZE)
    keras_probs, keras_top1 = keras_reference(genre, files)
    assert np.abs(np.asarray(exported.probabilities(pixels)["genre"]) - keras_probs).max() <= 1e-3
    assert main(["predict", str(path), *files, "--json", "--top-k", "2"]) == 0
    predictions = json.loads(capsys.readouterr().out)
    assert [p["genre"][0]["label"] for p in predictions] == keras_top1
    assert all(len(p["genre"]) == 2 for p in predictions)
    assert main(["export", str(genre["run"].root), "--format", fmt, "--out", str(out)]) == 2
    assert "already exists; exports are never overwritten" in capsys.readouterr().err


def test_keras_file_loads_with_safe_mode_and_carries_its_labels(genre):
    import keras

    from artzoo.export.keras_format import read_keras_metadata

    path = genre["root"] / "files" / "genre.keras"
    if not path.exists():
        from artzoo.export.exporter import export_run_dir

        export_run_dir(genre["run"].root, "keras", path)
    model = keras.models.load_model(path, safe_mode=True)
    assert model.output_names == ["genre"]
    spec = read_keras_metadata(path)
    assert [h.classes for h in spec.heads] == [GENRES]
    assert spec.extra["parity"]["max_abs_diff"]["genre"] == 0.0


def test_predict_cli_reports_a_bad_image_and_predicts_the_others(genre, tmp_path):
    good = genre["files"][:2]
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(Path(good[0]).read_bytes()[:2000])
    result = run_cli("predict", str(genre["version"].parent), good[0], str(bad), good[1], "--json")
    assert result.returncode == 1, result.stderr[-2000:]
    assert result.stderr.strip().splitlines()[-1] == "artzoo: 1 of 3 images rejected by the model"
    entries = json.loads(result.stdout)
    assert [e["image"] for e in entries] == [good[0], str(bad), good[1]]
    assert entries[1] == {"image": str(bad), "error": "jpeg::Uncompress failed. Invalid JPEG data or crop window."}
    _, keras_top1 = keras_reference(genre, good)
    assert [entries[0]["genre"][0]["label"], entries[2]["genre"][0]["label"]] == keras_top1


def test_predict_rejects_bad_arguments_by_name(genre, capsys):
    from artzoo.cli import main

    assert main(["predict", str(genre["version"]), genre["files"][0], "--top-k", "9"]) == 2
    assert capsys.readouterr().err.strip() == (
        "artzoo: error: --top-k 9 is out of range; this export ranks 1..3 classes per head")
    assert main(["predict", str(REPO / "pyproject.toml"), genre["files"][0]]) == 2
    assert "is not a SavedModel folder, or a .keras, .tflite or .onnx file" in capsys.readouterr().err
    assert main(["export", str(genre["run"].root), "--format", "tflite", "--version", "3"]) == 2
    assert "--version applies to --format saved_model only" in capsys.readouterr().err
