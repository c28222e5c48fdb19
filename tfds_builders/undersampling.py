"""Balanced splits by undersampling at build time, as ArtyLyze balanced its WikiArt genre/style subsets.

Every class keeps as many valid images as the smallest class has. Classes are processed smallest first:
the smallest is validated completely, which fixes the quota; every other class is validated in a seeded,
machine-independent order only until it reaches the quota, so a large collection is not decoded in full.
The images left out are listed in the quarantine manifest as excluded, with the quota.
"""

from __future__ import annotations

import zlib
from typing import Hashable, Iterable, Iterator

from etils import epath

from tfds_builders.image_validation import DEFAULT_MAX_PIXELS
from tfds_builders.validated_examples import SourceItem, SplitValidator


def seeded_order(items: list[SourceItem], seed: int) -> list[SourceItem]:
    return sorted(items, key=lambda it: (zlib.crc32(f"{seed}:{it.key}".encode()), it.key))


def undersampled_examples(
    builder,
    split: str,
    groups: dict[Hashable, list[SourceItem]],
    excluded: Iterable[tuple[epath.Path, str]] = (),
    unlabelled: Iterable[tuple[epath.Path, str]] = (),
    seed: int = 0,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> Iterator[tuple[str, dict]]:
    """Yields validated examples, the same number per group (class) where the images allow it."""
    validator = SplitValidator(builder, split, max_pixels)
    for path, reason in unlabelled:
        validator.unlabelled(path, reason)
    for path, reason in excluded:
        validator.exclude(path, reason)
    quota = None
    for label in sorted(groups, key=lambda g: (len(groups[g]), str(g))):
        members = seeded_order(groups[label], seed)
        target = len(members) if quota is None else quota
        kept = position = 0
        while kept < target and position < len(members):
            # Never more candidates than still needed: a chunk can only fall short, never overshoot.
            chunk = members[position:position + target - kept]
            position += len(chunk)
            for example in validator.validate(chunk):
                kept += 1
                yield example
        if quota is None and kept:  # a class with no valid image at all does not set the quota to 0
            quota = kept
        for item in members[position:]:
            validator.exclude(item.path, f"undersampled to {quota} per class")
    validator.finish()
