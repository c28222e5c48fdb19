"""What produced a result: library versions, the device, and the git commit of the artzoo checkout (if any).

Recorded in every run's `run.json` under `environment`, and in the model card next to every export.
"""

from __future__ import annotations

import platform
import subprocess
import sys
from pathlib import Path
from typing import Optional


def versions() -> dict[str, str]:
    """artzoo, TensorFlow, Keras and Python versions (imports TensorFlow and Keras)."""
    import keras
    import tensorflow as tf

    import artzoo

    return {"artzoo": artzoo.__version__, "tensorflow": tf.__version__, "keras": keras.__version__,
            "python": platform.python_version()}


def device() -> dict:
    """The accelerators TensorFlow sees (names and count), else the CPU, and the host platform."""
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    names = []
    for gpu in gpus:
        try:
            names.append(tf.config.experimental.get_device_details(gpu).get("device_name", gpu.name))
        except (ValueError, RuntimeError):
            names.append(gpu.name)
    if names:
        return {"kind": "GPU", "count": len(names), "names": names, "platform": platform.platform()}
    return {"kind": "CPU", "count": 1, "names": [_cpu_name()], "platform": platform.platform()}


def _cpu_name() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text(errors="replace").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def git_commit(root: Optional[Path] = None) -> Optional[dict]:
    """{"commit", "dirty"} of the checkout artzoo runs from; None for an installed package or without git."""
    root = root or Path(__file__).resolve().parent.parent
    if not (root / ".git").exists():
        return None
    try:
        commit = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True,
                                timeout=10, check=True).stdout.strip()
        status = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
                                capture_output=True, text=True, timeout=10, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return {"commit": commit, "dirty": bool(status.strip())}


def environment() -> dict:
    """{"versions", "device", "git"} for run.json (git is None outside a checkout)."""
    return {"versions": versions(), "device": device(), "git": git_commit(), "command": _command()}


def _command() -> str:
    return " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]) if sys.argv and sys.argv[0] else ""
