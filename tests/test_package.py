"""artzoo as a package: a fast `import artzoo` without TensorFlow, the lazy API, `--version`, registrations that
happen on `import artzoo` (Keras custom layers, TFDS builders) in either import order, quiet start-up, and the
one-line errors of missing extras."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

from conftest import REPO, run_cli

ENV = {**os.environ, "PYTHONPATH": str(REPO)}


def python(code: str, cwd="/", timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, cwd=cwd,
                          env=ENV, timeout=timeout)


def test_import_artzoo_imports_neither_tensorflow_nor_keras():
    result = python("""
        import json, sys, time
        started = time.perf_counter()
        import artzoo
        seconds = time.perf_counter() - started
        heavy = sorted(m for m in ("tensorflow", "keras", "numpy", "tensorflow_datasets", "yaml") if m in sys.modules)
        print(json.dumps({"heavy": heavy, "seconds": seconds}))
    """)
    assert result.returncode == 0, result.stderr[-2000:]
    out = json.loads(result.stdout)
    assert out["heavy"] == []  # (measured: about 0.01 s against 6-7 s for `import tensorflow`)


def test_every_public_name_resolves_and_is_listed():
    import artzoo

    assert set(artzoo.__all__) <= set(dir(artzoo))
    for name in artzoo.__all__:
        assert getattr(artzoo, name) is not None, name
    with pytest.raises(AttributeError, match="no attribute 'nonexistent'"):
        artzoo.nonexistent  # noqa: B018


def test_api_names_survive_importing_the_submodules_of_the_same_name():
    """Importing `artzoo.train.runner` sets the package `artzoo.train` on artzoo; it is callable as the API's."""
    import inspect

    import artzoo
    import artzoo.api
    import artzoo.train.runner  # noqa: F401

    assert callable(artzoo.train)
    assert inspect.signature(artzoo.train) == inspect.signature(artzoo.api.train)
    assert artzoo.train.runner.train is not None  # the package's modules are still reachable
    assert artzoo.similar is artzoo.api.similar


def test_version_flag_prints_the_package_version():
    import artzoo

    result = run_cli("--version", cwd="/")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"artzoo {artzoo.__version__}"


@pytest.fixture(scope="module")
def custom_keras(tmp_path_factory):
    """A .keras file holding artzoo's custom layers (preprocessing, SE, self-attention, attention pooling)."""
    import artzoo

    path = tmp_path_factory.mktemp("custom") / "custom.keras"
    model = artzoo.create_model("mobilenet_2_5", heads={"genre": ["a", "b"]}, image_size=32, weights="none",
                                se=True, attention=True, pooling="attention")
    model.save(path)
    return path


LOAD_BOTH = """
    import keras, tensorflow_datasets as tfds
    model = keras.models.load_model({path!r}, safe_mode=True)
    print("layers", sorted(type(l).__name__ for l in model.layers if type(l).__module__.startswith("artzoo")))
    print("builder", tfds.builder("louvre_genre", data_dir={data!r}).info.name)
"""
ARTZOO_LAYERS = "layers ['AttentionPooling', 'ImagePreprocessing', 'SpatialSelfAttention', 'SqueezeExcitation']"


def test_import_artzoo_then_keras_and_tfds_knows_the_layers_and_builders(tmp_path, custom_keras):
    code = "import artzoo\n" + textwrap.dedent(LOAD_BOTH.format(path=str(custom_keras), data=str(tmp_path)))
    result = python(code)
    assert result.returncode == 0, result.stderr[-3000:]
    assert ARTZOO_LAYERS in result.stdout
    assert "builder louvre_genre" in result.stdout


def test_keras_and_tfds_first_know_neither_until_import_artzoo(tmp_path, custom_keras):
    """Plain Keras and TFDS know neither the layers nor the builders (so the check is meaningful); importing
    artzoo after them registers both at once."""
    result = python(textwrap.dedent(f"""
        import keras, tensorflow_datasets as tfds
        for attempt in (lambda: keras.models.load_model({str(custom_keras)!r}, safe_mode=True),
                        lambda: tfds.builder("louvre_genre", data_dir={str(tmp_path)!r})):
            try:
                attempt()
                print("loaded")
            except Exception as err:
                print("failed", type(err).__name__)
        import artzoo
    """) + textwrap.dedent(LOAD_BOTH.format(path=str(custom_keras), data=str(tmp_path))))
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.splitlines()[:2] == ["failed TypeError", "failed DatasetNotFoundError"]
    assert ARTZOO_LAYERS in result.stdout
    assert "builder louvre_genre" in result.stdout


def test_the_stderr_filter_drops_start_up_noise_and_keeps_everything_else(capfd):
    from artzoo.quiet import filtered_stderr

    with filtered_stderr():
        os.write(2, b"WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n")
        os.write(2, b"I0000 00:00:1.2 123 port.cc:153] oneDNN custom operations are on. You may see ...\n")
        os.write(2, b"I0000 00:00:1.3 123 cudart_stub.cc:31] Could not find cuda drivers on your machine\n")
        os.write(2, b"a real error from C++\n")
        print("a Python warning", file=sys.stderr)
    assert sorted(capfd.readouterr().err.splitlines()) == ["a Python warning", "a real error from C++"]


def test_the_cli_hides_tensorflow_start_up_lines_unless_verbose(monkeypatch):
    """The CLI's stderr is the error alone, though TensorFlow imported (it prints 4-8 start-up lines here)."""
    from artzoo import quiet

    result = run_cli("evaluate", "/nonexistent-run", "--data-dir", "/tmp", cwd="/",
                     env_extra={"TF_CPP_MIN_LOG_LEVEL": ""})
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == ["artzoo: error: run directory '/nonexistent-run' has no "
                                                  "config.yaml; is it an artzoo run?"]
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "3")
    quiet.verbose_startup()
    assert os.environ["TF_CPP_MIN_LOG_LEVEL"] == "0"


def test_a_missing_extra_is_one_line_naming_it(tmp_path):
    """OpenCV (`classical`) hidden from a subprocess: `artzoo match` fails in one line that names the extra."""
    result = python("""
        import sys
        sys.modules["cv2"] = None  # as if opencv-python-headless were not installed
        from artzoo.cli import main
        sys.exit(main(["match", "a.jpg", "b.jpg"]))
    """, cwd=str(tmp_path))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "artzoo: error: the OpenCV classical baselines (bag of visual words, SIFT matching) needs the 'classical' "
        "extra (cv2 is not installed): pip install \"artzoo[classical]\""]


@pytest.mark.parametrize("extra, module", [("onnx", "onnxruntime"), ("tflite", "ai_edge_litert"),
                                           ("serving", "tensorflow_serving"), ("hub", "keras_hub")])
def test_require_names_the_extra_of_each_optional_module(monkeypatch, extra, module):
    from artzoo.extras import MissingExtra, available, require

    assert available(extra)  # installed here (the test install has every extra)
    monkeypatch.setitem(sys.modules, module, None)
    assert not available(extra)
    with pytest.raises(MissingExtra, match=rf"needs the '{extra}' extra .* pip install \"artzoo\[{extra}\]\"$"):
        require(extra, module)


def test_vit_without_keras_hub_says_which_extra(monkeypatch):
    import artzoo
    from artzoo.extras import MissingExtra

    monkeypatch.setitem(sys.modules, "keras_hub", None)
    with pytest.raises(MissingExtra, match=r"keras-hub backbones \(ViT\) needs the 'hub' extra"):
        artzoo.create_model("vit_tiny", heads={"genre": 2}, image_size=32, weights="none")
