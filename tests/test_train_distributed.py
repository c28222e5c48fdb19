"""tf.distribute: MirroredStrategy matches one device, two real workers agree, determinism, clean errors."""

import json
import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import keras
import numpy as np
import pytest

from conftest import REPO, run_cli

import artzoo.models.layers  # noqa: F401  (registers the custom layers model.keras holds)
from artzoo.errors import ArtzooError
from artzoo.train.history import read_history
from artzoo.train.strategy import create_distribution, is_chief, read_tf_config

# Logical devices must be configured before TensorFlow initialises, hence a fresh process. Every head also
# counts the items it scores (an `items` metric added to the heads' metrics), so history.csv says how many
# images each epoch trained and validated on.
MIRRORED_SCRIPT = textwrap.dedent("""
    import json, sys
    import tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    import keras
    from artzoo.config import load_task_config
    from artzoo.train import phases
    from artzoo.train.runner import train

    @keras.saving.register_keras_serializable(package="test")
    class Items(keras.metrics.Metric):
        def __init__(self, name="items", **kwargs):
            super().__init__(name=name, **kwargs)
            self.count = self.add_variable(shape=(), initializer="zeros", name="count")
        def update_state(self, y_true, y_pred, sample_weight=None):
            self.count.assign_add(tf.cast(tf.shape(y_true)[0], "float32"))
        def result(self):
            return self.count * 1.0  # a value: the variable itself would read as val's count later

    head_metrics = phases.head_metrics
    phases.head_metrics = lambda head, num_classes: [*head_metrics(head, num_classes), Items()]
    data, out = sys.argv[1], sys.argv[2]
    # No shuffle: Keras's symbolic build under a strategy draws one extra shuffle order, which would shift
    # the mirrored run's epoch orders by one epoch; with a fixed order both runs see the same batches.
    base = {"data.data_dir": data, "model.backbone": "mobilenet_2_5", "model.weights": "imagenet",
            "data.image_size": 32, "train.epochs": 2, "train.fine_tune_epochs": 1, "train.fine_tune_blocks": 2,
            "train.learning_rate": 3e-3, "export.enabled": False, "data.shuffle_buffer": 1,
            "data.augment.flip": False, "data.augment.rotation": 0, "data.augment.zoom": 0,
            "data.augment.contrast": 0, "model.heads.genre.dropout": 0.0}
    one = {**base, "train.strategy": "none", "data.batch_size": 8, "run_dir": out + "/one"}
    two = {**base, "train.strategy": "mirrored", "data.batch_size": 4, "run_dir": out + "/two"}  # 2 x 4 = 8
    for overrides in (one, two):
        train(load_task_config("genre", overrides), verbose=0)
""")


def losses(run: Path, key: str) -> np.ndarray:
    return np.array([float(r[key]) for r in read_history(run / "history.csv")[1]])


def _one_and_mirrored(data: Path, out: Path) -> tuple[Path, Path]:
    result = subprocess.run([sys.executable, "-c", MIRRORED_SCRIPT, str(data), str(out)], cwd=REPO,
                            capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    return out / "one", out / "two"


def test_mirrored_on_two_logical_cpus_follows_the_one_device_trajectory(louvre_small, tmp_path):
    one, two = _one_and_mirrored(louvre_small, tmp_path)
    assert json.loads((one / "run.json").read_text())["strategy"]["replicas"] == 1
    summary = json.loads((two / "run.json").read_text())
    assert summary["strategy"] == {"kind": "mirrored", "workers": 1, "replicas": 2}
    assert summary["batch_size"] == {"per_replica": 4, "global": 8}
    # Every epoch trained on all 64 train images and scored all 24 val images, on one device and on two.
    for run in (one, two):
        assert losses(run, "items").tolist() == [64.0] * 3, run
        assert losses(run, "val_items").tolist() == [24.0] * 3, run
    # The training trajectory and every epoch's validation match to 1e-4. (The fine-tune epoch's validation
    # used to score 21-23 of the 24 images now and then: Keras's throwaway iterator truncated the cold val
    # cache; `artzoo.data.pipeline.fill_caches` now fills it before a distributed fit.)
    for key in ("loss", "val_loss", "val_accuracy"):
        assert len(losses(one, key)) == 3
        np.testing.assert_allclose(losses(two, key), losses(one, key), rtol=1e-4, err_msg=key)
    assert np.ptp(losses(one, "loss")) > 1e-3  # the trajectory moves: the comparison is not of constants


def free_ports(n: int) -> list[int]:
    sockets = [socket.socket() for _ in range(n)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def start_worker(index: int, cluster: list[str], args: list[str], scratch: Path) -> subprocess.Popen:
    tf_config = {"cluster": {"worker": cluster}, "task": {"type": "worker", "index": index}}
    env = {**os.environ, "TF_CONFIG": json.dumps(tf_config), "TMPDIR": str(scratch)}
    return subprocess.Popen([sys.executable, "-m", "artzoo", *args], cwd=REPO, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def test_two_workers_on_localhost_agree_and_only_the_chief_writes(louvre_small, tmp_path):
    run, exports = tmp_path / "run", tmp_path / "saved_models"
    scratch = [tmp_path / "tmp0", tmp_path / "tmp1"]
    for d in scratch:
        d.mkdir()
    cluster = [f"127.0.0.1:{p}" for p in free_ports(2)]
    args = ["train", "--task", "genre", "--data-dir", str(louvre_small), "--backbone", "cnn3", "--weights", "none",
            "--image-size", "32", "--batch-size", "4", "--epochs", "2", "--fine-tune-epochs", "1",
            "--strategy", "multiworker", "--run-dir", str(run), "--export-dir", str(exports), "--quiet"]
    workers = [start_worker(i, cluster, args, scratch[i]) for i in range(2)]
    try:
        outputs = [w.communicate(timeout=900) for w in workers]
    finally:
        for w in workers:
            w.kill()
    for w, (_, err) in zip(workers, outputs):
        assert w.returncode == 0, err[-3000:]
    (chief_out, chief_err), (worker_out, worker_err) = outputs
    assert f"run directory: {run}" in chief_out
    assert "worker done; the chief writes the run directory" in worker_out

    summary = json.loads((run / "run.json").read_text())
    assert summary["strategy"] == {"kind": "multiworker", "workers": 2, "replicas": 2}
    assert summary["batch_size"] == {"per_replica": 4, "global": 8}
    digest = summary["final_weights_sha256"]
    assert f"worker:0 final weights sha256 {digest}" in chief_err
    assert f"worker:1 final weights sha256 {digest}" in worker_err  # bit-identical weights on both workers

    # Only the chief wrote: one history row per epoch, TensorBoard events from the chief's process only,
    # one export; the other worker wrote to its scratch directory and removed it.
    assert [int(r["epoch"]) for r in read_history(run / "history.csv")[1]] == [0, 1, 2]
    events = list((run / "tensorboard").rglob("events.out.tfevents.*"))
    assert events and {p.name.split(".")[-3] for p in events} == {str(workers[0].pid)}  # ...<host>.<pid>.<n>.v2
    assert sorted(p.name for p in (exports / "genre").iterdir()) == ["1"]
    assert "is not the chief: its files go to the scratch directory" in worker_err
    assert list(scratch[1].iterdir()) == []
    assert keras.models.load_model(run / "model.keras", safe_mode=True).count_params() == summary["parameters"]


def test_deterministic_runs_give_bit_identical_weights(louvre_small, tmp_path):
    """cnn3 with dropout, shuffling and augmentation: every random draw is seeded."""
    runs = [tmp_path / "a", tmp_path / "b"]
    procs = [subprocess.Popen(
        [sys.executable, "-m", "artzoo", "train", "--task", "genre", "--data-dir", str(louvre_small),
         "--backbone", "cnn3", "--weights", "none", "--image-size", "32", "--batch-size", "8", "--epochs", "2",
         "--fine-tune-epochs", "1", "--deterministic", "--run-dir", str(run), "--no-export", "--quiet",
         "--set", "train.learning_rate=3e-3"],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for run in runs]
    for proc in procs:
        _, err = proc.communicate(timeout=900)
        assert proc.returncode == 0, err[-3000:]
    a, b = (keras.models.load_model(run / "model.keras", safe_mode=True).get_weights() for run in runs)
    assert len(a) == len(b) > 0
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert (runs[0] / "history.csv").read_text() == (runs[1] / "history.csv").read_text()
    assert json.loads((runs[0] / "run.json").read_text())["deterministic"] is True


def test_tpu_strategy_without_a_tpu_is_a_clean_error(tmp_path):
    result = run_cli("train", "--task", "genre", "--data-dir", str(tmp_path), "--backbone", "cnn3",
                     "--weights", "none", "--strategy", "tpu", "--run-dir", str(tmp_path / "run"))
    assert result.returncode == 2
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("artzoo: error: strategy 'tpu': no TPU found") and "Traceback" not in result.stderr
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("tf_config, message", [
    (None, "strategy 'multiworker' needs TF_CONFIG"),
    ("{not json", "TF_CONFIG is not valid JSON"),
    ('{"cluster": {"worker": ["a:1"]}}', "must hold a 'cluster' mapping and a 'task' mapping"),
    ('{"cluster": {"worker": ["a:1"]}, "task": {"type": "ps", "index": 0}}',
     "unknown TF_CONFIG task type 'ps'; expected one of: chief, worker"),
    ('{"cluster": {"worker": ["a:1"]}, "task": {"type": "worker", "index": 1}}', "task worker:1 is not in the cluster"),
])
def test_bad_tf_config_is_a_clean_error(tf_config, message, monkeypatch):
    if tf_config is None:
        monkeypatch.delenv("TF_CONFIG", raising=False)
    else:
        monkeypatch.setenv("TF_CONFIG", tf_config)
    with pytest.raises(ArtzooError, match=message.replace("(", r"\(").replace(")", r"\)")):
        create_distribution("multiworker")


def test_auto_strategy_follows_tf_config(monkeypatch):
    # Workers that ignored TF_CONFIG would each train alone, all into the same run directory.
    monkeypatch.setenv("TF_CONFIG", "{not json")
    with pytest.raises(ArtzooError, match="TF_CONFIG is not valid JSON"):
        create_distribution("auto")
    monkeypatch.delenv("TF_CONFIG")
    assert create_distribution("auto").kind == "none"  # this machine has no GPU


@pytest.mark.parametrize("cluster, task, chief", [
    ({"worker": ["a:1", "b:1"]}, ("worker", 0), True),
    ({"worker": ["a:1", "b:1"]}, ("worker", 1), False),
    ({"chief": ["c:1"], "worker": ["a:1", "b:1"]}, ("worker", 0), False),
    ({"chief": ["c:1"], "worker": ["a:1", "b:1"]}, ("chief", 0), True),
])
def test_tf_config_names_the_chief(cluster, task, chief):
    text = json.dumps({"cluster": cluster, "task": {"type": task[0], "index": task[1]}})
    assert is_chief(*read_tf_config(text)) is chief


def test_learning_rates_scale_with_the_replicas():
    from artzoo.config import TrainConfig
    from artzoo.train.phases import plan_phases

    def rates(scale):
        return [p.learning_rate for p in plan_phases(
            TrainConfig(learning_rate=1e-3, fine_tune_learning_rate=1e-4, scale_lr=scale), replicas=4)]

    assert rates("none") == pytest.approx([1e-3, 1e-4])
    assert rates("linear") == pytest.approx([4e-3, 4e-4])
    assert rates("sqrt") == pytest.approx([2e-3, 2e-4])
    with pytest.raises(ArtzooError, match="no epoch"):
        plan_phases(TrainConfig(epochs=0, fine_tune_epochs=0), replicas=1)


def test_unknown_strategy_names_the_choices():
    with pytest.raises(ArtzooError, match="unknown strategy 'horovod'; expected one of: auto, none, mirrored"):
        create_distribution("horovod")


def test_importing_the_training_code_runs_no_tensorflow_op():
    """MultiWorkerMirroredStrategy must be created before any op: no artzoo module may run one at import."""
    import subprocess
    import sys

    code = ("from tensorflow.python.eager import context\n"
            "import artzoo.commands.train, artzoo.train.runner, artzoo.export.exporter, artzoo.reporting.report\n"
            "print(context.context()._context_handle is None)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=str(REPO), timeout=300)
    assert out.stdout.strip().splitlines()[-1] == "True", out.stderr[-2000:]
