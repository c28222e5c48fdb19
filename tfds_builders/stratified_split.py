"""The one rule for making splits when a collection has none: 7:2:1, stratified, deterministic.

Used by every builder (`art_folder`, `ancient_art`, `imet`) and by plain folders on the command line
(`artzoo.data.folders`), so the same files always land in the same split on every machine.
"""

from __future__ import annotations

import zlib
from typing import Callable, Hashable, Sequence, TypeVar

T = TypeVar("T")
SPLIT_FRACTIONS = (("train", 0.7), ("val", 0.2), ("test", 0.1))


def stratified_split(
    items: Sequence[T], stratum: Callable[[T], Hashable], name: Callable[[T], str]
) -> dict[str, list[T]]:
    """Splits `items` 7:2:1 within each stratum (e.g. class).

    Inside a stratum, items are ordered by the CRC-32 of `name(item)` (a file name, not a machine-specific
    path), ties broken by the name, then cut at round(0.7 n) and round(0.2 n). Splits left empty are omitted.
    """
    splits: dict[str, list[T]] = {split: [] for split, _ in SPLIT_FRACTIONS}
    by_stratum: dict[Hashable, list[T]] = {}
    for item in items:
        by_stratum.setdefault(stratum(item), []).append(item)
    for members in by_stratum.values():
        members.sort(key=lambda item: (zlib.crc32(name(item).encode()), name(item)))
        n = len(members)
        n_train = round(n * SPLIT_FRACTIONS[0][1])
        n_val = round(n * SPLIT_FRACTIONS[1][1])
        splits["train"] += members[:n_train]
        splits["val"] += members[n_train:n_train + n_val]
        splits["test"] += members[n_train + n_val:]
    return {split: members for split, members in splits.items() if members}
