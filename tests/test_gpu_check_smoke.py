"""bench/gpu_check.py on the TensorFlow backend, CPU, smoke sizes, one fast section: the JSON and the table hold
every section, each with numbers or a recorded reason, and the bench's model (Keras core + artzoo's layer
classes, what the GPU machine runs without TensorFlow) has artzoo's parameter counts in both training phases."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from conftest import REPO, SHARED, requires_shared

WEIGHTS = SHARED / "weights" / "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224_no_top.h5"
SECTIONS = ("device", "artzoo_parity", "train_step", "embedding", "se_attention_fp16", "genre_run", "max_batch",
            "xla_off")


@requires_shared(WEIGHTS)
def test_gpu_check_smoke_records_every_section(tmp_path: Path):
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": str(REPO), "KERAS_BACKEND": "tensorflow", "CUDA_VISIBLE_DEVICES": ""}
    env.pop("OUT", None)
    run = subprocess.run(
        [sys.executable, str(REPO / "bench" / "gpu_check.py"), "--smoke", "--image-size", "32", "--sections",
         "artzoo_parity", "--data", str(tmp_path / "no_bundle"), "--weights", str(WEIGHTS), "--out", str(out)],
        env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.strip().splitlines()[-1].startswith("GPU_CHECK backend=tensorflow")

    results = json.loads((out / "gpu_check.json").read_text())
    sections = results["sections"]
    assert set(sections) == set(SECTIONS)
    for name, section in sections.items():
        assert "error" not in section, (name, section["error"])
        assert "section_seconds" in section
    for name in SECTIONS[2:]:
        assert sections[name]["skipped"] == "not selected (--sections)"
    device = sections["device"]
    assert device["backend"] == "tensorflow" and device["gpu"] is False and device["auto_policy"] == "float32"
    assert device["data_bundle"].startswith("none found")
    parity = sections["artzoo_parity"]
    assert parity["artzoo_auto_policy"] == "float32"
    for phase in ("frozen", "fine_tune"):
        assert parity[phase]["artzoo"] == parity[phase]["bench"], phase
    assert parity["frozen"]["bench"]["trainable"] < parity["fine_tune"]["bench"]["trainable"]

    table = (out / "gpu_check.md").read_text()
    for title in ("a. Device", "artzoo's builder vs the bench's", "b. Train step, XLA on", "f. Genre recipe"):
        assert f"## {title}" in table
    assert results["summary"] in table
