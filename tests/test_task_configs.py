"""Every task config in configs/ loads and passes the checks; the shipped tasks are there with the heads
and datasets they promise; bad model settings are one-line errors naming the key."""

import pytest

from artzoo.config import list_tasks, load_task_config
from artzoo.config_checks import check_run_config
from artzoo.errors import ArtzooError

# Dataset builders and the builder configs each names.
BUILDERS = {"louvre_genre": {None}, "wikiart": {"genre", "style", "artist", "style_folders"}, "imet": {None},
            "ancient_art": {None, "egyptian"}, "louvre_wikiart": {None}}
EXPECTED = {
    "genre": ("louvre_genre", "shared", [("genre", "softmax")]),
    "style": ("wikiart", "shared", [("style", "softmax")]),
    "artist": ("wikiart", "shared", [("artist", "softmax")]),
    "culture": ("ancient_art", "shared", [("culture", "softmax")]),
    "medium": ("ancient_art", "shared", [("medium", "softmax")]),
    "period": ("ancient_art", "shared", [("period", "softmax")]),
    "ancient_generic": ("ancient_art", "specialists",
                        [("culture", "softmax"), ("medium", "softmax"), ("period", "softmax")]),
    "ancient": ("ancient_art", "shared", [("object_type", "softmax"), ("era", "softmax"), ("material", "sigmoid")]),
    "met": ("imet", "shared", [("tags", "sigmoid")]),
    "genre_style": ("louvre_wikiart", "shared", [("genre", "softmax"), ("style", "softmax")]),
    "genre_style_artgan": ("wikiart", "shared", [("genre", "softmax"), ("style", "softmax")]),
}


def test_list_tasks_names_every_shipped_task():
    assert set(EXPECTED) <= set(list_tasks())


@pytest.mark.parametrize("task", list_tasks())
def test_every_config_loads_and_passes_the_checks(task):
    cfg = load_task_config(task)
    check_run_config(cfg)
    assert cfg.task == task
    assert cfg.data.dataset in BUILDERS and cfg.data.builder_config in BUILDERS[cfg.data.dataset]
    if task in EXPECTED:
        dataset, mode, heads = EXPECTED[task]
        assert (cfg.data.dataset, cfg.model.mode) == (dataset, mode)
        assert [(h.name, h.type) for h in cfg.model.heads] == heads


@pytest.mark.parametrize("overrides, fragment", [
    ({"model.heads.genre.name": "style"}, "head name 'style' appears twice"),
    ({"data.image_size": 64}, "image size 64 is too small for backbone 'inception_v3'"),
    ({"model.heads.genre.dropout": 1.0}, "'model.heads.genre.dropout' is 1.0; expected a value in [0, 1)"),
    ({"model.heads.style.loss_weight": -1}, "'model.heads.style.loss_weight' is -1.0; expected a value in [0, 1000]"),
    ({"model.backbone": "vit_base", "model.weights": "none", "data.image_size": 200},
     "each side must be a multiple of 16"),
    ({"model.backbone": "cnn3"}, "model.weights 'imagenet': backbone 'cnn3' has none"),
    ({"train.epochs": 0, "train.fine_tune_epochs": 0}, "at least one epoch is needed"),
])
def test_bad_model_settings_are_one_line_errors(overrides, fragment):
    base = {"model.backbone": "inception_v3"} if "inception" in fragment else {}
    cfg = load_task_config("genre_style", {**base, **overrides})
    with pytest.raises(ArtzooError) as err:
        check_run_config(cfg)
    assert fragment in str(err.value) and "\n" not in str(err.value)


def test_class_weights_on_a_sigmoid_head_are_refused():
    cfg = load_task_config("met", {"model.heads.tags.class_weight": "balanced"})
    with pytest.raises(ArtzooError, match="class weights apply to softmax heads only"):
        check_run_config(cfg)


@pytest.mark.parametrize("task", list_tasks())
def test_every_head_reads_a_feature_its_builder_declares(task, tmp_path):
    """The builders' declared features (no data needed) hold each head's label, with a matching kind."""
    import tensorflow_datasets as tfds

    from artzoo.data.sources import tfds_builder

    cfg = load_task_config(task)
    builder = tfds_builder(cfg.data.dataset, str(tmp_path), cfg.data.builder_config)
    features = builder.info.features
    for head in cfg.model.heads:
        assert head.label in features, (task, head.label, list(features.keys()))
        multi_label = isinstance(features[head.label], tfds.features.Sequence)
        assert multi_label == (head.type == "sigmoid"), (task, head.name)
