"""Era and material normalisers, checked on the real strings of ../shared/data/egyptian_artifacts/metadata.csv."""

import csv
import re

import pytest

from conftest import DATA
from tfds_builders.normalisers.egyptian_era import ERA_NAMES, era_of_year, normalise_era
from tfds_builders.normalisers.materials import TAGS, normalise_materials

METADATA = DATA / "egyptian_artifacts" / "metadata.csv"


@pytest.fixture(scope="module")
def rows():
    if not METADATA.exists():
        pytest.skip(f"{METADATA} not present")
    with open(METADATA, newline="") as f:
        return list(csv.DictReader(f))


# Hand-checked against the chronology table in egyptian_era's docstring (midpoint of the stated dates).
ERA_CASES = {
    "Middle Kingdom": "Middle Kingdom",
    "New Kingdom, Ramesside": "New Kingdom",
    "715–656 BCE": "Third Intermediate",  # midpoint 685.5 BCE, before 664
    "c. 1391–1353 BCE": "New Kingdom",
    "664–525 BCE": "Late",
    "Late Period–Ptolemaic Period": "Late",  # first era named
    "Third Intermediate Period, Dynasty 21–25 (1070–656 BCE)": "Third Intermediate",  # dynasty numbers ignored
    "1st century": "Roman",
    "4th century BCE": "Late",
    "late 6th-early 3rd century BCE": "Late",
    "480-470 BCE": "Late",
    "about 300 BCE": "Ptolemaic",
    "c. 30 BCE": "Roman",  # the boundary year belongs to the later era
    "100 BCE–500 CE": "Roman",
    "664–30 BCE OR 664–330 BCE": "Late",  # first alternative
    "c. 2950 BCE": "Early Dynastic",
    "4000–3000 BCE": "Predynastic",
    "Predynastic Period, Late Naqada II (about 3300–3200 BCE)": "Predynastic",
    "Old Kingdom, mid–Dynasty 5–early Dynasty 6 (about 2445–2287 BCE)": "Old Kingdom",
    "2123–2040 BCE": "First Intermediate",
    "1648–1540 BCE": "Second Intermediate",
    "Ptolemaic Period (332–30 BCE)": "Ptolemaic",
    "Roman Imperial period, Middle": "Roman",
    "272, issued by Aurelian": "Roman",
    "Collar: c. 200–300 CE,\nCoin: c. 177 CE": "Roman",
    "Third Intermediate Period (Kushite)": "Third Intermediate",
    "Hellenistic period": "Ptolemaic",
    "5th century-3rd century BCE": "Late",
    "14-68, reworked by the late 4th-early 5th century": "Roman",  # the first date stated
    "": None,
    "n.d.": None,
    "INVALID": None,
    "Twentieth Century; original New Kingdom": None,  # a modern copy
    "Forgery of the early 20th Century": None,
    "before 1920    this is common era, not BCE": None,
    "400s": None,  # 400-499 CE, after the scale
    "Fatimid period": None,
    "Qing dynasty (1644–1911), Qianlong reign (1736–95)": None,
    "c. 1805–7": None,
}


@pytest.mark.parametrize("text, era", ERA_CASES.items())
def test_era_of_hand_checked_real_strings(text, era):
    assert normalise_era(text) == era


def test_every_real_period_value_maps_to_an_era_or_unknown(rows):
    values = {r["Period"] for r in rows}
    for text in ERA_CASES:
        if text:
            assert text in values, f"{text!r} is not a real value of metadata.csv"
    results = {v: normalise_era(v) for v in values}
    assert set(results.values()) <= set(ERA_NAMES) | {None}
    unknown_reason = re.compile(
        r"^\s*$|n\.d\.|invalid|forgery|modern|twentieth|common era|fatimid|ayyubid|qing|meroitic", re.I)
    for text, era in results.items():
        if era is None and not unknown_reason.search(text):
            # Any other unknown must be an explicit date outside the scale: a CE year after 395 or a century >= 5.
            assert "BCE" not in text.upper() or "CE" in text, text
            years = [int(y) for y in re.findall(r"\d{3,4}", text)]
            centuries = [int(c) for c in re.findall(r"(\d{1,2})(?:st|nd|rd|th)", text)]
            assert any(y > 395 for y in years) or any(c >= 5 for c in centuries), text
    counted = [normalise_era(r["Period"]) for r in rows]
    # The collection is mostly datable: at least 75 % of items get an era, every era of the scale occurs.
    assert sum(e is not None for e in counted) / len(counted) > 0.75
    assert set(counted) - {None} == set(ERA_NAMES)


def test_era_boundaries_are_half_open():
    assert era_of_year(-1550) == "New Kingdom"
    assert era_of_year(-1550.5) == "Second Intermediate"
    assert era_of_year(394.9) == "Roman" and era_of_year(395) is None
    assert era_of_year(-5501) is None


MATERIAL_CASES = {
    "limestone, paint": ["limestone", "stone", "paint"],
    "travertine (egyptian alabaster)": ["calcite", "stone"],
    "leaded bronze": ["copper_alloy"],  # not lead
    "turquoise faience": ["faience"],  # a colour, not the gem
    "carnelian": ["gemstone", "stone"],
    "gessoed and painted sycamore fig": ["wood", "paint", "plaster"],
    "paper, tempera paint, ink": ["paint", "paper"],
    "copper, wood, animal hide": ["copper_alloy", "wood", "leather"],
    "clay (unfired)": ["ceramic"],
    "Egyptian blue": ["faience"],
    "": [],
}


@pytest.mark.parametrize("text, tags", MATERIAL_CASES.items())
def test_materials_of_hand_checked_real_strings(text, tags):
    assert normalise_materials(text) == tags


def test_nearly_every_real_medium_gets_a_tag(rows):
    media = [r["Medium"].strip() for r in rows]
    untagged = {m for m in media if m and not normalise_materials(m)}
    # What is left names no material of the vocabulary (unspecified "Metal", wax, lacquer, a book).
    assert len(untagged) <= 8, sorted(untagged)
    tags = {t for m in media for t in normalise_materials(m)}
    assert tags == set(TAGS)


def test_normalisers_are_registered_for_csv_label_columns():
    from tfds_builders.label_columns import get_normaliser

    assert get_normaliser("egyptian_era") is normalise_era
    assert get_normaliser("materials") is normalise_materials


def test_material_column_encodes_tag_indices_and_an_empty_list_when_unknown(rows):
    from tfds_builders.label_columns import LabelColumn, is_missing, mapping_table

    column = LabelColumn("material", "Medium", TAGS, "materials", multi_label=True)
    index = {t: i for i, t in enumerate(TAGS)}
    assert column.encode("limestone, paint", index) == (
        [TAGS.index("limestone"), TAGS.index("stone"), TAGS.index("paint")], None)
    empty, issue = column.encode("Metal", index)
    assert empty == [] and is_missing(empty) and issue["reason"] == "no tag recognised"
    # The mapping table covers every distinct real Medium value once, with its row count.
    media = [r["Medium"] for r in rows]
    table = mapping_table(column, media)
    assert len(table) == len({m.strip() for m in media}) and sum(n for _, _, n in table) == len(media)
    for raw, tags, _ in table:
        assert tags == ", ".join(normalise_materials(raw))


def test_era_column_keeps_unknown_as_missing_not_a_class(rows):
    from tfds_builders.label_columns import MISSING, LabelColumn, mapping_table

    column = LabelColumn("era", "Period", ERA_NAMES, "egyptian_era")
    index = {e: i for i, e in enumerate(ERA_NAMES)}
    assert column.encode("715–656 BCE", index) == (ERA_NAMES.index("Third Intermediate"), None)
    assert column.encode("", index)[0] == MISSING and column.encode("n.d.", index)[0] == MISSING
    table = mapping_table(column, [r["Period"] for r in rows])
    assert {era for _, era, _ in table} <= set(ERA_NAMES) | {""}
