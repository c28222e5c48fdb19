"""history.csv across restarts: one row per finished epoch, never two.

A kill can land after an epoch's row was written but before its backup was committed; the resumed run then
repeats that epoch. Keras's CSVLogger(append=True) would write the repeated epoch's row a second time, so
`ResumableCSVLogger` first drops every row of an epoch at or after the one the run resumes from (and any
torn last line), then appends, syncing each row to disk.
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import keras

from artzoo import atomic


def read_history(path: str | Path) -> tuple[list[str], list[dict[str, str]]]:
    """The header and the complete rows of a history CSV (a torn last line is left out)."""
    path = Path(path)
    if not path.is_file():
        return [], []
    text = path.read_text()
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines = lines[:-1]  # torn by a kill mid-write
    reader = csv.reader(lines)
    header = next(reader, [])
    rows = [dict(zip(header, values)) for values in reader if len(values) == len(header)]
    return header, [r for r in rows if r.get("epoch", "").isdigit()]


def keep_epochs_before(path: str | Path, epoch: int) -> list[dict[str, str]]:
    """Rewrites the history CSV (atomically) without rows of epochs >= `epoch`; returns the rows kept."""
    header, rows = read_history(path)
    kept = [r for r in rows if int(r["epoch"]) < epoch]
    if not Path(path).is_file():
        return kept
    out = io.StringIO()
    if kept:
        writer = csv.DictWriter(out, fieldnames=header, lineterminator="\r\n")  # CSVLogger's own line ends
        writer.writeheader()
        writer.writerows(kept)
    atomic.write_text(path, out.getvalue())
    return kept


class ResumableCSVLogger(keras.callbacks.CSVLogger):
    """CSVLogger(append=True) that first forgets the epochs a resumed fit is about to repeat."""

    def __init__(self, filename, first_epoch: int, separator=","):
        super().__init__(str(filename), separator=separator, append=True)
        self.first_epoch = first_epoch

    def on_train_begin(self, logs=None):
        keep_epochs_before(self.filename, self.first_epoch)
        super().on_train_begin(logs)

    def on_epoch_end(self, epoch, logs=None):
        super().on_epoch_end(epoch, logs)
        os.fsync(self.csv_file.fileno())
