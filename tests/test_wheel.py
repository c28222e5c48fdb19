"""The built wheel holds what a plain `pip install` needs: the task configs (as package data), the TFDS builders'
metadata files, the `artzoo` entry point, and base dependencies without the optional extras."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

from conftest import REPO

IGNORED = shutil.ignore_patterns(".git", "build", "dist", "*.egg-info", "__pycache__", "runs", "saved_models",
                                 ".pytest_cache", "*.pyc")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> zipfile.ZipFile:
    """`pip wheel` of a copy of the checkout (building in place would leave build/ and *.egg-info behind);
    offline: the installed setuptools and wheel, no isolated build environment."""
    root = tmp_path_factory.mktemp("wheel")
    source = root / "src"
    shutil.copytree(REPO, source, ignore=IGNORED)
    result = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                             "-w", str(root / "dist"), str(source)], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    (path,) = (root / "dist").glob("artzoo-*.whl")
    return zipfile.ZipFile(path)


def test_the_wheel_ships_every_task_config(wheel):
    configs = sorted(p.name for p in (REPO / "configs").glob("*.yaml"))
    assert configs
    shipped = sorted(Path(n).name for n in wheel.namelist() if n.startswith("artzoo/configs/"))
    assert shipped == configs
    assert wheel.read("artzoo/configs/genre.yaml") == (REPO / "configs" / "genre.yaml").read_bytes()


def test_the_wheel_ships_the_builders_and_their_metadata(wheel):
    import tfds_builders

    names = set(wheel.namelist())
    for builder in tfds_builders.BUILDERS:
        assert f"tfds_builders/{builder}/{builder}_dataset_builder.py" in names
        for meta in (REPO / "tfds_builders" / builder).iterdir():
            if meta.suffix in (".md", ".bib", ".txt", ".tsv"):
                assert f"tfds_builders/{builder}/{meta.name}" in names, meta
    assert "tfds_builders/louvre_genre/README.md" in names


def test_the_wheel_declares_the_entry_point_version_and_extras(wheel):
    import artzoo

    info = f"artzoo-{artzoo.__version__}.dist-info"
    entry_points = wheel.read(f"{info}/entry_points.txt").decode()
    assert "[console_scripts]" in entry_points and "artzoo = artzoo.cli:main" in entry_points
    metadata = Parser().parsestr(wheel.read(f"{info}/METADATA").decode())
    assert metadata["Version"] == artzoo.__version__
    requires = metadata.get_all("Requires-Dist")
    base = {r.split(";")[0].split("[")[0].split("=")[0].split(">")[0].split("<")[0].strip().lower()
            for r in requires if "extra ==" not in r}
    assert {"tensorflow", "keras", "tensorflow-datasets", "importlib-resources", "etils", "joblib",
            "threadpoolctl", "scikit-learn", "keras-cv"} <= {b.replace("_", "-") for b in base}
    assert not base & {"onnx", "onnxruntime", "tf2onnx", "ai-edge-litert", "tensorflow-serving-api",
                       "opencv-python-headless", "keras-hub"}
    assert set(metadata.get_all("Provides-Extra")) >= {"onnx", "tflite", "serving", "classical", "hub", "all", "test"}
