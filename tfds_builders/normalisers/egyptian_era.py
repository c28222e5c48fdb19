"""Museum period text -> one era of the Egyptian chronology, or None (unknown: kept as a missing label).

The scale (dates BCE negative; boundaries as in the Met's and the British Museum's chronologies):

| era                    | from  | to (exclusive) |
|------------------------|-------|----------------|
| Predynastic            | -5500 | -3100 |
| Early Dynastic         | -3100 | -2686 |
| Old Kingdom            | -2686 | -2181 |
| First Intermediate     | -2181 | -2055 |
| Middle Kingdom         | -2055 | -1650 |
| Second Intermediate    | -1650 | -1550 |
| New Kingdom            | -1550 | -1069 |
| Third Intermediate     | -1069 | -664  |
| Late                   | -664  | -332  |
| Ptolemaic              | -332  | -30   |
| Roman                  | -30   | 395   |

Rules, in order:
1. Blank, "n.d.", "invalid", forgeries, modern copies ("Twentieth Century; original New Kingdom") -> None.
   Of alternatives ("664-30 BCE OR 664-330 BCE", two lines, "a; b") only the first is read.
2. Explicit dates win over era names: the first date expression in the text, one of: years with
   BCE/BC/CE/AD, ranges ("715-656 BCE", "c. 1391-1353 BCE", "480-470 BCE", "100 BCE-500 CE"), centuries
   ("4th century BCE", "late 6th-early 3rd century BCE", "1st century" = CE) and decades ("400s"). Years
   without an era suffix are CE unless BCE appears in the text. Dynasty numbers are ignored. The era is the
   one containing the midpoint of the span; spans outside the scale (after 395 CE, before 5500 BCE) -> None.
3. Otherwise era names ("Middle Kingdom", "New Kingdom, Ramesside", "Late Period (Saite)", "Kushite",
   "Hellenistic"); when several eras are named ("Late Period-Ptolemaic Period", "Predynastic period to Old
   Kingdom", "New Kingdom or later") the first one named is the cataloguer's primary attribution and wins.
"""

from __future__ import annotations

import re
from typing import Optional

from tfds_builders.label_columns import register_normaliser

ERAS: tuple[tuple[str, int, int], ...] = (
    ("Predynastic", -5500, -3100),
    ("Early Dynastic", -3100, -2686),
    ("Old Kingdom", -2686, -2181),
    ("First Intermediate", -2181, -2055),
    ("Middle Kingdom", -2055, -1650),
    ("Second Intermediate", -1650, -1550),
    ("New Kingdom", -1550, -1069),
    ("Third Intermediate", -1069, -664),
    ("Late", -664, -332),
    ("Ptolemaic", -332, -30),
    ("Roman", -30, 395),
)
ERA_NAMES: tuple[str, ...] = tuple(name for name, _, _ in ERAS)

_UNKNOWN = re.compile(r"^\s*$|^n\.?\s*d\.?$|invalid|forgery|twentieth century|^modern$|common era", re.I)
_NAMED = (
    ("Predynastic", r"predynastic|naqada"),
    ("Early Dynastic", r"early dynastic|archaic period"),
    ("Old Kingdom", r"old kingdom"),
    ("First Intermediate", r"first intermediate"),
    ("Middle Kingdom", r"middle kingdom"),
    ("Second Intermediate", r"second intermediate"),
    ("New Kingdom", r"new kingdom|amarna|ramesside"),
    ("Third Intermediate", r"third intermediate|kushite"),
    ("Late", r"late period|saite"),
    ("Ptolemaic", r"ptolemaic|hellenistic"),
    ("Roman", r"roman"),
)
_DASH = r"\s*(?:-|–|—|to)\s*"
_ERA_SUFFIX = r"\s*(BCE|B\.C\.E\.|BC|B\.C\.|CE|C\.E\.|AD|A\.D\.)?"
_RANGE = re.compile(r"(\d{1,4})" + _ERA_SUFFIX + _DASH + r"(\d{1,4})" + _ERA_SUFFIX, re.I)
_YEAR = re.compile(r"(\d{1,4})" + _ERA_SUFFIX, re.I)
_CENTURY = re.compile(
    r"(early|mid|late|first half of the|second half of the)?[\s-]*(\d{1,2})(?:st|nd|rd|th)(?:\s+century)?"
    r"(?:" + _DASH + r"(early|mid|late)?[\s-]*(\d{1,2})(?:st|nd|rd|th))?\s+century" + _ERA_SUFFIX,
    re.I,
)
_DECADES = re.compile(r"(\d{2,4})0s" + _ERA_SUFFIX, re.I)
_NOT_YEARS = re.compile(r"dynast(?:y|ies)\s*\d+(?:\s*(?:-|–|or)\s*\d+)?|naqada\s+[iv]+|\(\s*(?:late\s+)?"
                        r"(?:january|february|march|april|may|june|july|august|september|october|november|"
                        r"december)[^)]*\)", re.I)


def era_of_year(year: float) -> Optional[str]:
    """The era containing `year` (negative = BCE), or None outside the scale."""
    for name, start, end in ERAS:
        if start <= year < end:
            return name
    return None


@register_normaliser("egyptian_era")
def normalise_era(text: Optional[str]) -> Optional[str]:
    """Maps museum period text to an era name of `ERA_NAMES`, or None when unknown."""
    if text is None:
        return None
    text = re.split(r"\bOR\b|;|\n", str(text))[0]
    text = " ".join(text.split())
    if _UNKNOWN.search(text):
        return None
    span = _date_span(text)
    if span is not None:
        return era_of_year((span[0] + span[1]) / 2)
    return _named_era(text)


def _named_era(text: str) -> Optional[str]:
    lowered = text.lower()
    found = [(m.start(), name) for name, pattern in _NAMED for m in re.finditer(pattern, lowered)]
    return min(found)[1] if found else None


def _date_span(text: str) -> Optional[tuple[float, float]]:
    """The (start, end) years of the first date expression in the text, or None."""
    text = _NOT_YEARS.sub(" ", text)
    bce_anywhere = re.search(r"\bB\.?C\.?(?:E\.?)?\b", text, re.I) is not None
    candidates = [
        (m.start(), kind, m)
        for kind, pattern in (("century", _CENTURY), ("decades", _DECADES), ("range", _RANGE), ("year", _YEAR))
        for m in [pattern.search(text)]
        if m
    ]
    if not candidates:
        return None
    # Earliest in the text; at the same position the more specific pattern (listed first) wins.
    order = {"century": 0, "decades": 1, "range": 2, "year": 3}
    _, kind, match = min(candidates, key=lambda c: (c[0], order[c[1]]))
    if kind == "century":
        return _century_span(match)
    if kind == "decades":  # "400s" = 400-499, "1000s" = 1000-1099, "1860s" = 1860-1869
        start = int(match.group(1)) * 10
        end = start + (99 if start % 100 == 0 else 9)
        return (-end, -start) if _is_bce(match.group(2)) else (start, end)
    if kind == "range":
        return _range_span(match, bce_anywhere)
    value = int(match.group(1))
    bce = _is_bce(match.group(2)) or (match.group(2) is None and bce_anywhere)
    return (-value, -value) if bce else (value, value)


def _range_span(match: re.Match, bce_anywhere: bool) -> tuple[float, float]:
    a_text, era_a, b_text, era_b = match.groups()
    a, b = int(a_text), int(b_text)
    if b < a and len(b_text) < len(a_text) and not (era_a or era_b or bce_anywhere):
        b = int(a_text[: len(a_text) - len(b_text)] + b_text)  # "1805-7" = 1805-1807
    bce_b = _is_bce(era_b) or (era_b is None and bce_anywhere and not _is_ce(era_a))
    bce_a = _is_bce(era_a) or (era_a is None and bce_b)
    return (-a if bce_a else a, -b if bce_b else b)


def _century_span(match: re.Match) -> tuple[float, float]:
    first_mod, first, second_mod, second, era = match.groups()
    bce = _is_bce(era)
    first, second = int(first), int(second) if second else None

    def bounds(n: int, modifier: Optional[str]) -> tuple[float, float]:
        lo, hi = (-n * 100, -(n - 1) * 100 - 1) if bce else ((n - 1) * 100, n * 100 - 1)
        third = (hi - lo) / 3
        modifier = (modifier or "").lower()
        if modifier.startswith(("early", "first half")):
            return lo, lo + third
        if modifier.startswith("mid"):
            return lo + third, hi - third
        if modifier.startswith(("late", "second half")):
            return hi - third, hi
        return lo, hi

    start = bounds(first, first_mod)
    end = bounds(second, second_mod) if second else start
    return min(start[0], end[0]), max(start[1], end[1])


def _is_bce(suffix: Optional[str]) -> bool:
    return bool(suffix) and suffix.upper().replace(".", "") in ("BCE", "BC")


def _is_ce(suffix: Optional[str]) -> bool:
    return bool(suffix) and suffix.upper().replace(".", "") in ("CE", "AD")
