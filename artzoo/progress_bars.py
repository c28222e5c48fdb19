"""Progress bars (tqdm, on stderr) for the long loops: embedding, evaluation, the pseudo-label rounds.

On by default; `set_enabled(False)` (the CLI's `--quiet`) turns them off for the process, and each API
function takes `progress=` for one call.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterable, Iterator, Optional

_enabled = True


def set_enabled(enabled: bool) -> None:
    global _enabled
    _enabled = bool(enabled)


def enabled() -> bool:
    return _enabled


@contextmanager
def only_if(show: Optional[bool]):
    """Within the block, bars follow `show` (None: leave the process setting alone)."""
    global _enabled
    before = _enabled
    if show is not None:
        _enabled = bool(show)
    try:
        yield
    finally:
        _enabled = before


def track(items: Iterable, total: Optional[int] = None, what: str = "", unit: str = "batch",
          size=None) -> Iterator:
    """Yields `items` while drawing a bar; `size(item)` says how many units an item counts (e.g. a batch's
    images), so the bar can count images while the loop goes batch by batch."""
    if not _enabled:
        yield from items
        return
    from tqdm import tqdm

    with tqdm(total=total, desc=what, unit=unit, leave=False, dynamic_ncols=True) as bar:
        for item in items:
            yield item
            bar.update(size(item) if size else 1)
