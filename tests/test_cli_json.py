"""`--json` output of `models list`, `datasets list` and `datasets info`: one JSON document, the same facts as
the text."""

from __future__ import annotations

import json

from artzoo.models.registry import get_backbone_spec


def cli(capsys, monkeypatch, *args: str) -> str:
    """`artzoo ARGS` in this process (its output settings undone afterwards); returns stdout."""
    from artzoo import progress_bars
    from artzoo.cli import main

    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "2")
    capsys.readouterr()
    try:
        assert main(list(args)) == 0
    finally:
        progress_bars.set_enabled(True)
    return capsys.readouterr().out


def test_models_list_json(capsys, monkeypatch):
    records = json.loads(cli(capsys, monkeypatch, "models", "list", "--pattern", "mobilenet_v2", "--json"))
    (record,) = records
    spec = get_backbone_spec("mobilenet_v2")
    assert record["name"] == "mobilenet_v2" and record["default_size"] == spec.default_size
    assert record["parameters"] == 2_257_984  # MobileNetV2 1.0 without its top
    assert record["imagenet"] in ("cached", "not cached")
    assert json.loads(cli(capsys, monkeypatch, "models", "list", "--pattern", "nothing*", "--json")) == []


def test_datasets_list_and_info_json(louvre_small, tmp_path, capsys, monkeypatch):
    tfds_dir = str(tmp_path / "tfds")
    listed = json.loads(cli(capsys, monkeypatch, "datasets", "list", "--tfds-dir", tfds_dir, "--json"))
    assert [r["name"] for r in listed] == ["louvre_genre", "wikiart", "imet", "ancient_art", "art_folder"]
    assert listed[0]["prepared"] == []
    unprepared = json.loads(cli(capsys, monkeypatch, "datasets", "info", "louvre_genre", "--tfds-dir", tfds_dir,
                                "--json"))
    assert unprepared["prepared"] is False and "splits" not in unprepared
    cli(capsys, monkeypatch, "datasets", "build", "louvre_genre", "--manual-dir", str(louvre_small),
        "--tfds-dir", tfds_dir, "--quiet")
    info = json.loads(cli(capsys, monkeypatch, "datasets", "info", "louvre_genre", "--tfds-dir", tfds_dir, "--json"))
    assert info["prepared"] is True and info["full_name"] == "louvre_genre/1.0.0"
    per_class = {"Genre": 16, "Landscape": 16, "Naturmort": 16, "Portrait": 16}
    assert info["splits"]["train"]["images"] == 64
    assert info["splits"]["train"]["labels"]["label"]["classes"] == per_class
    assert info["splits"]["val"]["labels"]["label"]["classes"] == {c: 6 for c in per_class}
    relisted = json.loads(cli(capsys, monkeypatch, "datasets", "list", "--tfds-dir", tfds_dir, "--json"))
    assert relisted[0]["prepared"] == [""]  # no configs: prepared as a whole
