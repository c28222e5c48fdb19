"""Config loading, overrides and the one-line errors (exit 2) for unknown keys, tasks and backbones."""

import pytest
import yaml

from artzoo.config import RunConfig, load_config_file, load_task_config, parse_overrides, save_config, to_dict
from artzoo.errors import ArtzooError
from conftest import run_cli


def test_genre_config_loads_typed_values():
    cfg = load_task_config("genre")
    assert isinstance(cfg, RunConfig)
    assert cfg.task == "genre"
    assert cfg.model.backbone == "mobilenet_v2"
    assert cfg.model.heads[0].name == "genre"
    assert isinstance(cfg.train.learning_rate, float) and cfg.train.learning_rate == pytest.approx(1e-3)


def test_overrides_are_parsed_as_yaml_and_applied():
    overrides = parse_overrides(["train.epochs=3", "train.learning_rate=1e-4", "data.augment.flip=false",
                                 "model.heads.genre.dropout=0.5", "model.heads.0.top_k=2"])
    cfg = load_task_config("genre", overrides)
    assert cfg.train.epochs == 3
    assert cfg.train.learning_rate == pytest.approx(1e-4)
    assert cfg.data.augment.flip is False
    assert cfg.model.heads[0].dropout == 0.5
    assert cfg.model.heads[0].top_k == 2


def test_saved_config_round_trips(tmp_path):
    cfg = load_task_config("genre", {"train.epochs": 2, "data.image_size": 96})
    save_config(cfg, tmp_path / "config.yaml")
    again = load_config_file(tmp_path / "config.yaml")
    assert again == cfg
    assert yaml.safe_load((tmp_path / "config.yaml").read_text())["data"]["image_size"] == 96


@pytest.mark.parametrize(
    "overrides, fragment",
    [
        ({"data.imag_size": 3}, "unknown config key 'data.imag_size'; expected one of: dataset"),
        ({"train.epochs": "many"}, "config key 'train.epochs' expects int, got 'many'"),
        ({"model.heads.0.type": "softmaxx"}, "'softmaxx'; expected one of: softmax, sigmoid"),
        ({"model.heads.style.dropout": 0.1}, "unknown config list item 'model.heads.style'"),
        ({"data.resize": "stretch"}, "'stretch'; expected one of: squash, crop, pad"),
    ],
)
def test_bad_values_name_the_key_and_the_allowed_values(overrides, fragment):
    with pytest.raises(ArtzooError) as err:
        load_task_config("genre", overrides)
    assert fragment in str(err.value)
    assert "\n" not in str(err.value)


def test_unknown_task_lists_tasks():
    with pytest.raises(ArtzooError, match=r"unknown task 'genr'; expected one of: .*genre"):
        load_task_config("genr")


def test_to_dict_has_lists_not_tuples():
    assert isinstance(to_dict(load_task_config("genre"))["model"]["heads"], list)


@pytest.mark.parametrize(
    "args, message",
    [
        (["train", "--task", "nope"], "artzoo: error: unknown task 'nope'; expected one of:"),
        (["train", "--backbone", "resnet9000"], "artzoo: error: unknown backbone 'resnet9000'; expected one of:"),
        (["train", "--set", "train.epochz=1"], "artzoo: error: unknown config key 'train.epochz'"),
        (["train", "--set", "oops"], "artzoo: error: --set expects key=value, got 'oops'"),
    ],
)
def test_cli_config_errors_exit_2_with_one_line(args, message):
    result = run_cli(*args)
    assert result.returncode == 2
    lines = [l for l in result.stderr.strip().splitlines() if l.startswith("artzoo: error")]
    assert len(lines) == 1 and lines[0].startswith(message), result.stderr
    assert "Traceback" not in result.stderr
