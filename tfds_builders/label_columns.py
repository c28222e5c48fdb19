"""Label columns of a CSV-described collection: which column feeds which feature, how raw values are
normalised, and what happens to blank or unknown values (label -1 for that column, listed, never a class).

Normalisers are plain functions `str -> str | None` (None: no label) registered by name, so a collection
with messy free text (museum metadata) plugs in its own without touching the builders:

    @register_normaliser("egyptian_period")
    def egyptian_period(value: str) -> str | None: ...

    LabelColumn("period", column="Period", classes=("early", "middle", "late"), normaliser="egyptian_period")
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Optional

from artzoo.errors import choice_error

MISSING = -1
Normaliser = Callable[[str], Optional[str]]
NORMALISERS: dict[str, Normaliser] = {}
BLANKS = frozenset({"", "nan", "none", "null", "n/a", "na", "unknown", "?", "-"})


def register_normaliser(name: str) -> Callable[[Normaliser], Normaliser]:
    def register(fn: Normaliser) -> Normaliser:
        NORMALISERS[name] = fn
        return fn

    return register


def get_normaliser(name: str) -> Normaliser:
    if name not in NORMALISERS:
        raise choice_error("label normaliser", name, sorted(NORMALISERS))
    return NORMALISERS[name]


@register_normaliser("strip")
def strip(value: str) -> Optional[str]:
    """Whitespace collapsed; blank-like values ("", "nan", "unknown", ...) mean no label."""
    value = re.sub(r"\s+", " ", value or "").strip()
    return None if value.lower() in BLANKS else value


@register_normaliser("lower")
def lower(value: str) -> Optional[str]:
    value = strip(value)
    return value.lower() if value else None


@register_normaliser("title")
def title(value: str) -> Optional[str]:
    value = strip(value)
    return value.title() if value else None


@dataclass(frozen=True)
class LabelColumn:
    """One single-label feature read from a CSV column.

    Args:
        feature: the dataset feature (what a head's `label` names).
        column: the CSV column; defaults to `feature`.
        classes: the allowed class names in order; None: the sorted distinct normalised values found.
        normaliser: a name in NORMALISERS applied to every raw value before matching `classes`.
    """

    feature: str
    column: str = ""
    classes: Optional[tuple[str, ...]] = None
    normaliser: str = "strip"

    @property
    def source(self) -> str:
        return self.column or self.feature

    def normalise(self, raw: Optional[str]) -> Optional[str]:
        return get_normaliser(self.normaliser)(raw or "")

    def encode(self, raw: Optional[str], index: dict[str, int]) -> tuple[int, Optional[dict]]:
        """Class index of a raw value (`index`: class name -> index), or MISSING plus the issue to list."""
        value = self.normalise(raw)
        if value is None:
            return MISSING, {"column": self.feature, "value": raw or "", "reason": "blank label"}
        if value not in index:
            return MISSING, {"column": self.feature, "value": raw, "reason": f"unknown label {value!r}"}
        return index[value], None


def discover_classes(column: LabelColumn, raw_values: list[Optional[str]]) -> list[str]:
    """The column's fixed classes, or the sorted distinct normalised values when none are fixed."""
    if column.classes is not None:
        return list(column.classes)
    return sorted({v for v in (column.normalise(raw) for raw in raw_values) if v is not None})
