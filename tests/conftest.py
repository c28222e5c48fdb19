"""Test setup: offline Keras weight cache from ../shared/weights, paths to ../shared/data, small real subsets.

KERAS_HOME must be set before Keras is first imported (Keras reads it once), so it is set here at import.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

# Tests are CPU-only and pinned there before TensorFlow starts (subprocesses inherit it): on a machine with a
# GPU they would otherwise get mixed precision from "auto", a one-GPU mirrored strategy instead of two logical
# CPUs, XLA and TF32 kernels. ARTZOO_TESTS_SEE_GPU=1 leaves the GPUs visible.
if not os.environ.get("ARTZOO_TESTS_SEE_GPU"):
    os.environ["CUDA_VISIBLE_DEVICES"] = "-1"

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("ARTZOO_SHARED", REPO.parent / "shared"))
DATA = SHARED / "data"
LOUVRE = DATA / "louvre_genre"
CIFAR = DATA / "cifar10_test"

if not (SHARED / "data").is_dir() and not os.environ.get("ARTZOO_ALLOW_MISSING_SHARED"):
    # Without ../shared most tests would skip and the run would look green while testing little.
    raise pytest.UsageError(
        f"{SHARED}/data not found: put ../shared beside the repository or set ARTZOO_SHARED "
        "(ARTZOO_ALLOW_MISSING_SHARED=1 runs anyway, skipping the tests that need it)"
    )

_KERAS_HOME = Path(tempfile.mkdtemp(prefix="artzoo-keras-home-"))
(_KERAS_HOME / "models").mkdir()
for weights in sorted((SHARED / "weights").glob("*.h5")):
    os.symlink(weights, _KERAS_HOME / "models" / weights.name)
os.environ["KERAS_HOME"] = str(_KERAS_HOME)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ["ARTZOO_CONFIG_DIR"] = str(REPO / "configs")

from artzoo.data.folders import copy_subset  # noqa: E402,F401  (after KERAS_HOME; tests import it from here)


def pytest_sessionfinish(session, exitstatus):
    shutil.rmtree(_KERAS_HOME, ignore_errors=True)


def requires_shared(path: Path):
    return pytest.mark.skipif(not path.exists(), reason=f"{path} not present")


@pytest.fixture(scope="session")
def louvre_small(tmp_path_factory) -> Path:
    """A real 4-genre subset of Louvre-4: 16 train and 6 val paintings per class, in the plain split layout."""
    if not LOUVRE.exists():
        pytest.skip(f"{LOUVRE} not present")
    return copy_subset(LOUVRE, tmp_path_factory.mktemp("louvre_small"), {"train": 16, "val": 6})


def run_cli(*args: str, cwd: Path | None = None, env_extra: dict | None = None, timeout: int = 900):
    """Runs `python -m artzoo ARGS` in a subprocess; returns the CompletedProcess."""
    import subprocess

    env = {**os.environ, **(env_extra or {})}
    return subprocess.run([sys.executable, "-m", "artzoo", *args], cwd=cwd or REPO, env=env,
                          capture_output=True, text=True, timeout=timeout)
