"""Export versions are claimed atomically (two exporters never share or overwrite a version) and a run calls an
export its own only by its token and content digest, so a rerun after a kill never adopts another run's."""

import json
import os
import threading
from pathlib import Path

import pytest
import tensorflow as tf

from artzoo import atomic
from artzoo.config import HeadConfig, ModelConfig, load_task_config
from artzoo.errors import ArtzooError
from artzoo.export import saved_model
from artzoo.export.saved_model import HeadSpec, ServingSpec, export_saved_model, publish_version, version_digest
from artzoo.run_dir import RunDir
from artzoo.train import phases, runner
from artzoo.train.progress import RunProgress
from artzoo.train.strategy import Distribution


def test_rename_no_replace_never_replaces_a_file_or_a_folder(tmp_path):
    source = tmp_path / "source"
    source.mkdir()
    (source / "f").write_text("new")
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "f").write_text("old")
    empty = tmp_path / "empty"
    empty.mkdir()  # a plain rename would silently replace an empty folder
    afile = tmp_path / "afile"
    afile.write_text("old")
    for target in (taken, empty, afile):
        with pytest.raises(FileExistsError):
            atomic.rename_no_replace(source, target)
    assert (taken / "f").read_text() == "old" and afile.read_text() == "old" and not any(empty.iterdir())
    atomic.rename_no_replace(source, tmp_path / "free")
    assert (tmp_path / "free" / "f").read_text() == "new" and not source.exists()


def test_two_exporters_racing_for_the_same_version_get_two_versions(tmp_path, monkeypatch):
    base = tmp_path / "genre"
    base.mkdir()
    real_next, barrier, first_calls = saved_model.next_version, threading.Barrier(2), set()

    def racing_next(folder):
        number = real_next(folder)
        if threading.get_ident() not in first_calls:  # both pick their number before either publishes
            first_calls.add(threading.get_ident())
            barrier.wait(timeout=60)
        return number

    monkeypatch.setattr(saved_model, "next_version", racing_next)
    published = {}

    def exporter(name):
        with atomic.staged_directory(base, "export") as tmp:
            (tmp / "who").write_text(name)
            published[name] = publish_version(tmp, base)

    threads = [threading.Thread(target=exporter, args=(name,)) for name in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert sorted(p.name for p in published.values()) == ["1", "2"]
    assert all((path / "who").read_text() == name for name, path in published.items())
    assert sorted(p.name for p in base.iterdir()) == ["1", "2"]  # no temporary folder left


@pytest.fixture(scope="module")
def tiny_model():
    heads = (HeadConfig(name="style"),)
    from artzoo.models.classifier import build_classifier

    classes = ["a", "b", "c"]
    model = build_classifier(ModelConfig(backbone="cnn3", weights="none", heads=heads), {"style": classes}, 32)
    return model, ServingSpec([HeadSpec("style", classes)], image_size=32)


def test_a_version_published_while_ours_is_written_moves_ours_to_the_next(tiny_model, tmp_path, monkeypatch):
    model, spec = tiny_model
    base = tmp_path / "style"
    real_check = saved_model.check_saved_model

    def other_exporter_publishes(version):
        def check(*args):
            (base / version).mkdir(parents=True)
            (base / version / "other.txt").write_text("another exporter's version")
            return real_check(*args)
        return check

    monkeypatch.setattr(saved_model, "check_saved_model", other_exporter_publishes("1"))
    ours = export_saved_model(model, spec, base)
    assert ours == base / "2" and (ours / "saved_model.pb").is_file()
    assert [p.name for p in (base / "1").iterdir()] == ["other.txt"]
    monkeypatch.setattr(saved_model, "check_saved_model", other_exporter_publishes("5"))
    with pytest.raises(ArtzooError, match="export version .*5 already exists; versions are never overwritten"):
        export_saved_model(model, spec, base, version=5)  # an explicit version is never moved
    assert [p.name for p in (base / "5").iterdir()] == ["other.txt"]
    assert sorted(p.name for p in base.iterdir()) == ["1", "2", "5"]
    served = tf.saved_model.load(str(ours)).signatures["serving_images"](images=tf.zeros([1, 32, 32, 3]))
    assert served["style_probabilities"].shape == (1, 3)


# --- a run's export across kills, with a second run exporting to the same folder -------------------------

class Killed(BaseException):
    pass


def session_for(tmp_path: Path, name: str, exports: Path) -> phases.Session:
    cfg = load_task_config("genre", {"export.dir": str(exports), "run_dir": str(tmp_path / name)})
    run = RunDir.create(cfg.run_dir, cfg.task)
    return phases.Session(cfg, Distribution(tf.distribute.get_strategy(), "none"), run, run, RunProgress())


@pytest.fixture
def exports(tmp_path, monkeypatch):
    """The runner's `export_trained` replaced by a small writer that claims versions as the real one does;
    records calls."""
    calls = []

    def export_trained(cfg, model, classes, version=None, token=None):
        calls.append(cfg.run_dir)
        if model == "kill before publishing":
            raise Killed()
        base = Path(cfg.export.dir) / cfg.export_name
        with atomic.staged_directory(base, "export") as tmp:
            (tmp / "saved_model.pb").write_bytes(os.urandom(64))
            (tmp / "assets.extra").mkdir()
            (tmp / "assets.extra" / "artzoo.json").write_text(json.dumps({"export_token": token,
                                                                          "run_dir": cfg.run_dir}))
            return publish_version(tmp, base, version)

    monkeypatch.setattr(runner, "export_trained", export_trained)
    return tmp_path / "exports", calls


def test_a_rerun_never_takes_another_runs_export_for_its_own(tmp_path, exports, capsys):
    folder, calls = exports
    base = folder / "genre"
    a, b = session_for(tmp_path, "a", folder), session_for(tmp_path, "b", folder)
    with pytest.raises(Killed):
        runner._export_once(a, "kill before publishing", {})  # run A is killed while exporting
    assert RunProgress.load(a.write.root).export_token and not RunProgress.load(a.write.root).export
    assert runner._export_once(b, None, {}) == base / "1"  # run B exports meanwhile: version 1

    a.progress = RunProgress.load(a.write.root)  # A reruns: its token is not in version 1, so it exports anew
    assert runner._export_once(a, None, {}) == base / "2"
    recorded = RunProgress.load(a.write.root)
    assert recorded.export == str(base / "2") and recorded.export_sha256 == version_digest(base / "2")
    assert json.loads((base / "1" / "assets.extra" / "artzoo.json").read_text())["run_dir"] == b.cfg.run_dir

    calls.clear()  # killed after publishing, before recording: the rerun finds its export by token
    a.progress.export = a.progress.export_sha256 = None
    assert runner._export_once(a, None, {}) == base / "2" and calls == []
    assert runner._export_once(a, None, {}) == base / "2" and calls == []  # recorded: reused as it is

    (base / "2" / "saved_model.pb").write_bytes(b"changed")  # the recorded export no longer has its content
    assert runner._export_once(a, None, {}) == base / "3" and calls == [a.cfg.run_dir]
    assert "recorded by this run is missing, changed or another run's; exporting anew" in capsys.readouterr().err


def test_an_older_progress_file_naming_another_runs_export_is_not_adopted(tmp_path, exports):
    folder, calls = exports
    a, b = session_for(tmp_path, "a", folder), session_for(tmp_path, "b", folder)
    theirs = runner._export_once(b, None, {})
    a.progress = RunProgress(export=str(theirs))  # before digests: the planned path, recorded before exporting
    assert runner._export_once(a, None, {}) == theirs.parent / "2"
    b.progress = RunProgress(export=str(theirs))  # the run the export names keeps it, now with its digest
    calls.clear()
    assert runner._export_once(b, None, {}) == theirs and calls == []
    assert b.progress.export_sha256 == version_digest(theirs)
