"""A new user's install: `pip install <clean copy>` (not editable, no extras) into a fresh virtual environment,
the copy then deleted, everything run from another folder: `artzoo --version`, a one-epoch genre run on a few
real Louvre paintings (building the louvre_genre TFDS dataset from them), and a Python snippet that imports
artzoo, loads the run's model.keras with plain Keras, finds the TFDS builder, and predicts with the export.

Marked `large`: pip installs TensorFlow and the rest (about 2.7 GB in the venv). Measured here: 672 s at load
average ~12 (pip alone took 7 min in a separate run; `artzoo train` 2.5 min, the snippet 40 s).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap

import pytest

from conftest import LOUVRE, REPO, SHARED, copy_subset
from test_wheel import IGNORED

pytestmark = pytest.mark.large

SNIPPET = """
    import json, sys
    from pathlib import Path
    import artzoo
    import keras
    import tensorflow_datasets as tfds

    model = keras.models.load_model("run/model.keras")  # safe_mode=True, the default
    builder = tfds.builder("louvre_genre", data_dir="tfds")
    images = sorted(str(p) for p in Path("paintings/val").glob("*/*.jpg"))
    predictions = artzoo.load("saved_models/genre").predict(images)
    print(json.dumps({
        "artzoo": artzoo.__file__,
        "outputs": sorted(model.output_names),
        "builder": builder.info.full_name,
        "prepared": builder.is_prepared(),
        "predictions": predictions,
        "from_checkout": sorted(m for m, mod in sys.modules.items()
                                if getattr(mod, "__file__", None) and str(mod.__file__).startswith(sys.argv[1])),
    }))
"""


def _run(args, cwd, env, timeout=1800):
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, f"{args}\n{result.stdout[-2000:]}\n{result.stderr[-4000:]}"
    return result


def test_a_plain_install_trains_loads_and_predicts_without_the_checkout(tmp_path):
    source = tmp_path / "artzoo-src"
    shutil.copytree(REPO, source, ignore=IGNORED)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "ARTZOO_CONFIG_DIR", "VIRTUAL_ENV")}
    _run([str(venv / "bin" / "pip"), "install", "-q", str(source)], cwd=tmp_path, env=env, timeout=3000)
    shutil.rmtree(source)  # the source tree is gone

    work = tmp_path / "elsewhere"
    copy_subset(LOUVRE, work / "paintings", {"train": 4, "val": 2})
    keras_home = tmp_path / "keras_home"
    (keras_home / "models").mkdir(parents=True)
    for weights in (SHARED / "weights").glob("*.h5"):
        shutil.copy(weights, keras_home / "models" / weights.name)
    env.update(KERAS_HOME=str(keras_home), TFDS_DATA_DIR=str(work / "tfds"))
    artzoo = str(venv / "bin" / "artzoo")

    version = _run([artzoo, "--version"], cwd=work, env=env)
    assert version.stdout.startswith("artzoo ")
    trained = _run([artzoo, "train", "--task", "genre", "--manual-dir", "paintings", "--backbone", "mobilenet_2_5",
                    "--image-size", "96", "--batch-size", "8", "--epochs", "1", "--fine-tune-epochs", "0",
                    "--run-dir", "run", "--export-dir", "saved_models", "--quiet"], cwd=work, env=env)
    assert "run directory: run" in trained.stdout
    assert not [line for line in trained.stderr.splitlines() if "oneDNN" in line or "cuda" in line.lower()]

    snippet = _run([str(venv / "bin" / "python"), "-c", textwrap.dedent(SNIPPET), str(REPO)], cwd=work, env=env)
    out = json.loads(snippet.stdout.strip().splitlines()[-1])
    assert out["artzoo"].startswith(str(venv)) and out["from_checkout"] == []
    assert out["outputs"] == ["genre"]
    assert out["builder"] == "louvre_genre/1.0.0" and out["prepared"]
    assert len(out["predictions"]) == 8
    for entry in out["predictions"]:
        assert {p["label"] for p in entry["genre"]} <= {"Genre", "Landscape", "Naturmort", "Portrait"}
    assert (work / "saved_models" / "genre" / "1" / "README.md").is_file()  # the model card

    # without the onnx extra, an ONNX export is one line naming it
    onnx = subprocess.run([artzoo, "export", "run", "--format", "onnx"], cwd=work, env=env, capture_output=True,
                          text=True, timeout=600)
    assert onnx.returncode == 2
    assert onnx.stderr.strip().splitlines()[-1].endswith('pip install "artzoo[onnx]"')
