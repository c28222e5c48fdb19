"""Most confused class pairs: both directions added, ordered by count, share of the pair's images."""

import pytest

from artzoo.reporting.confused_pairs import confused_pairs, confused_pairs_section

NAMES = ["Baroque", "Impressionism", "Post_Impressionism", "Romanticism"]
CONFUSION = [[8, 0, 0, 2],   # Baroque: 2 taken for Romanticism
             [0, 6, 4, 0],   # Impressionism: 4 taken for Post-Impressionism
             [1, 3, 6, 0],   # Post-Impressionism: 3 for Impressionism, 1 for Baroque
             [3, 0, 0, 7]]   # Romanticism: 3 for Baroque


def test_pairs_add_both_directions_and_rank_by_count():
    pairs = confused_pairs(CONFUSION, NAMES, n=3)
    assert [(p["a"], p["b"], p["a_as_b"], p["b_as_a"], p["total"]) for p in pairs] == [
        ("Impressionism", "Post_Impressionism", 4, 3, 7),
        ("Baroque", "Romanticism", 2, 3, 5),
        ("Baroque", "Post_Impressionism", 0, 1, 1),
    ]
    assert pairs[0]["share"] == pytest.approx(7 / 20)
    assert len(confused_pairs(CONFUSION, NAMES, n=10)) == 3  # pairs never mixed up are not listed


def test_section_has_one_table_per_split_and_head():
    metrics = {"val": {"style": {"confusion_matrix": CONFUSION, "class_names": NAMES},
                       "tags": {"f1_micro": 0.5}}}
    section = confused_pairs_section(metrics)
    html = "".join(section.blocks)
    assert section.anchor == "confused-pairs" and html.count("<table") == 1
    assert "Impressionism ↔ Post_Impressionism" in html and "35.0 %" in html
