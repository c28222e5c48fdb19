"""Ruff (configured in pyproject.toml's [tool.ruff]: 120 columns, pycodestyle and pyflakes rules) passes on the
whole repository, and the configuration is the one it reads."""

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(importlib.util.find_spec("ruff") is None,
                                reason="ruff is not installed (pip install -e '.[test]' installs it)")


def ruff(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ruff", *args], cwd=ROOT, input=stdin, capture_output=True,
                          text=True, timeout=120)


def test_ruff_check_passes_on_the_repository():
    result = ruff("check", ".")
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


def test_ruff_reads_the_project_line_length_and_rules():
    long_line = "x = " + " + ".join(["1"] * 30) + "\n"  # 121 columns: over the project's 120
    assert len(long_line.rstrip("\n")) == 121
    result = ruff("check", "--no-cache", "--output-format", "concise", "--stdin-filename", "artzoo/example.py", "-",
                  stdin="import os\n" + long_line)
    assert result.returncode == 1
    assert "E501 Line too long (121 > 120)" in result.stdout and "F401" in result.stdout
    assert ruff("check", "--no-cache", "--stdin-filename", "artzoo/example.py", "-",
                stdin=long_line[:-5] + "\n").returncode == 0  # 117 columns pass
