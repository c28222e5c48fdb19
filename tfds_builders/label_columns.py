"""Label columns of a CSV-described collection: which column feeds which feature, how raw values are
normalised, and what happens to blank or unknown values (label -1 for that column, listed, never a class).

Normalisers are plain functions `str -> str | None` (None: no label) registered by name, so a collection
with messy free text (museum metadata) plugs in its own without touching the builders:

    @register_normaliser("egyptian_period")
    def egyptian_period(value: str) -> str | None: ...

    LabelColumn("period", column="Period", classes=("early", "middle", "late"), normaliser="egyptian_period")

A multi-label column (`multi_label=True`) has a normaliser `str -> list[str]` (tags; empty: no label) and
becomes a `Sequence(ClassLabel)` feature; an item without any known tag gets the empty list (masked, kept).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from collections import Counter
from typing import Callable, Optional, Union

from tfds_builders.errors import choice_error

MISSING = -1
Normaliser = Callable[[str], Union[Optional[str], list]]
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
    """One label feature read from a CSV column.

    Args:
        feature: the dataset feature (what a head's `label` names).
        column: the CSV column; defaults to `feature`.
        classes: the allowed class names in order; None: the sorted distinct normalised values found.
        normaliser: a name in NORMALISERS applied to every raw value before matching `classes`.
        multi_label: the normaliser returns a list of tags; the feature holds the list of their indices.
    """

    feature: str
    column: str = ""
    classes: Optional[tuple[str, ...]] = None
    normaliser: str = "strip"
    multi_label: bool = False

    @property
    def source(self) -> str:
        return self.column or self.feature

    def normalise(self, raw: Optional[str]) -> Optional[str]:
        return get_normaliser(self.normaliser)(raw or "")

    def encode(self, raw: Optional[str], index: dict[str, int]) -> tuple[Union[int, list[int]], Optional[dict]]:
        """Class index of a raw value (`index`: class name -> index), or MISSING plus the issue to list;
        for a multi-label column the list of tag indices (empty: missing)."""
        if self.multi_label:
            return self._encode_tags(raw, index)
        value = self.normalise(raw)
        if value is None:
            return MISSING, {"column": self.feature, "value": raw or "", "reason": "blank label"}
        if value not in index:
            return MISSING, {"column": self.feature, "value": raw, "reason": f"unknown label {value!r}"}
        return index[value], None

    def _encode_tags(self, raw: Optional[str], index: dict[str, int]) -> tuple[list[int], Optional[dict]]:
        tags = self.normalise(raw) or []
        known = sorted({index[t] for t in tags if t in index})
        unknown = [t for t in tags if t not in index]
        if unknown:
            return known, {"column": self.feature, "value": raw, "reason": f"unknown tags {unknown!r}"}
        if not known:
            return known, {"column": self.feature, "value": raw or "", "reason": "no tag recognised"}
        return known, None


def is_missing(label: Union[int, list[int]]) -> bool:
    """A single label of MISSING, or an empty tag list."""
    return label == [] if isinstance(label, list) else label == MISSING


def mapping_table(column: LabelColumn, raw_values: list[Optional[str]]) -> list[list]:
    """[raw value, normalised label (tags joined by ", "; "" = missing), items] for every distinct raw value,
    most frequent first: what a curator checks before trusting a normaliser."""
    counts = Counter((raw or "").strip() for raw in raw_values)
    rows = []
    for raw, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        value = column.normalise(raw)
        rows.append([raw, ", ".join(value) if isinstance(value, list) else (value or ""), n])
    return rows


def discover_classes(column: LabelColumn, raw_values: list[Optional[str]]) -> list[str]:
    """The column's fixed classes, or the sorted distinct normalised values when none are fixed."""
    if column.classes is not None:
        return list(column.classes)
    if column.multi_label:
        return sorted({t for raw in raw_values for t in (column.normalise(raw) or [])})
    return sorted({v for v in (column.normalise(raw) for raw in raw_values) if v is not None})
