"""The report's building blocks on small inputs: history columns per head, escaping, flattening, model card."""

import pytest

from artzoo.reporting.figures import history_columns_for_head
from artzoo.reporting.model_card import accuracy_interval, build_model_card
from artzoo.reporting.report_html import table
from artzoo.reporting.report_sections import flatten

MULTI = ["epoch", "attributes_auc", "attributes_loss", "class_accuracy", "class_loss", "learning_rate", "loss",
         "phase", "val_attributes_auc", "val_class_accuracy", "val_loss"]
SINGLE = ["epoch", "accuracy", "learning_rate", "loss", "phase", "top3", "val_accuracy", "val_loss", "val_top3"]


def test_history_columns_belong_to_their_head():
    assert history_columns_for_head(MULTI, "class", single_head=False) == ["class_accuracy", "class_loss"]
    assert history_columns_for_head(MULTI, "attributes", single_head=False) == ["attributes_auc", "attributes_loss"]
    assert history_columns_for_head(MULTI, "style", single_head=False) == []
    # Keras drops the head prefix when there is one output.
    assert history_columns_for_head(SINGLE, "genre", single_head=True) == ["accuracy", "loss", "top3"]


def test_table_cells_are_escaped():
    html = table(["class", "f1"], [["<script>alert(1)</script>", 0.5]])
    assert "<script>" not in html and "&lt;script&gt;" in html and "<td>0.5000</td>" in html


def test_flatten_names_list_items_by_name():
    config = {"model": {"heads": [{"name": "genre", "type": "softmax"}], "se": False}, "tags": ["a", "b"]}
    assert flatten(config) == [("model.heads.genre.name", "genre"), ("model.heads.genre.type", "softmax"),
                               ("model.se", False), ("tags", "a, b")]


def test_accuracy_interval_is_wilsons():
    # Wilson 95% for 20 of 25: centre (20 + 1.92) / (25 + 3.84), half-width ~0.152.
    low, high = accuracy_interval(0.8, 25)
    assert low == pytest.approx(0.6087, abs=1e-3) and high == pytest.approx(0.9114, abs=1e-3)


def test_model_card_states_imbalance_missing_test_and_author_notes(tmp_path):
    (tmp_path / "model_card.yaml").write_text("limitations:\n  - Labels were assigned by one curator.\n")
    config = {"task": "culture", "model": {"weights": "imagenet", "heads": [{"name": "culture", "type": "softmax"}]},
              "data": {"image_size": 224, "resize": "squash", "train_split": "train"}}
    data = {"source": "tfds:x", "counts": {"train": {"culture": [300, 20, 0]}},
            "quarantine": {"train": {"rejected": 3}}}
    per_class = {c: {"precision": p, "recall": p, "f1": p, "support": 10}
                 for c, p in (("a", 0.9), ("b", 0.2), ("c", 0.0))}
    metrics = {"val": {"culture": {"n": 30, "accuracy": 0.7, "balanced_accuracy": 0.5, "macro": {"f1": 0.4},
                                   "per_class": per_class}}}
    card = build_model_card(config, {"culture": ["a", "b", "c"]}, data, metrics, tmp_path)
    text = "\n".join(card["limitations"])
    assert "imbalanced (300 vs 20 images)" in text
    assert "1 classes have no training image" in text
    assert "weakest class is c" in text
    assert "No test split" in text
    assert text.endswith("Labels were assigned by one curator.")
    assert "Quarantined (unusable or duplicate) images: 3." in card["data"]
