"""Reading ArtGAN's WikiArt release: images under style folders, and per task (genre, style, artist) a
class list `<task>_class.txt` ("<index> <name>" per line) and splits `<task>_train.csv` / `<task>_val.csv`
(rows "<Style>/<file>.jpg,<index>", no header)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Optional, Sequence

from etils import epath

TASKS = ("genre", "style", "artist")
SPLITS = {"train": "train", "val": "val"}
# wikiart_csv.zip extracts to wikiart_csv/; the GitHub repository keeps the same files (some without an
# extension) under "WikiArt Dataset/<Task>/".
CSV_FOLDERS = ("wikiart_csv", "", "WikiArt Dataset/{Task}")
IMAGE_FOLDERS = ("wikiart", "style", "")


@dataclass
class TaskFiles:
    """One task's class names and its rows per split: (image path relative to the image root, index)."""

    task: str
    names: list[str]
    rows: dict[str, list[tuple[str, int, int]]] = field(default_factory=dict)  # split -> (path, index, line)
    sources: dict[str, str] = field(default_factory=dict)  # split -> CSV file name, for the manifest


def _candidates(root: epath.Path, task: str, stem: str, exts: Sequence[str]) -> list[epath.Path]:
    folders = [root / f.format(Task=task.capitalize()) if f else root for f in CSV_FOLDERS]
    return [folder / f"{stem}{ext}" for folder in folders for ext in exts]


def find_task_file(roots: Sequence[epath.Path], task: str, kind: str) -> Optional[epath.Path]:
    """`<task>_<kind>.csv|.txt` (or without extension) under any of `roots`."""
    exts = (".txt", "") if kind == "class" else (".csv", "")
    for root in roots:
        for path in _candidates(root, task, f"{task}_{kind}", exts):
            if path.is_file():
                return path
    return None


def required_files(task: str) -> list[str]:
    return [f"wikiart_csv/{task}_class.txt", f"wikiart_csv/{task}_train.csv", f"wikiart_csv/{task}_val.csv"]


def read_class_names(path: epath.Path) -> list[str]:
    """Names in index order; lines are "<index> <name>"."""
    pairs = []
    for line in path.read_bytes().decode("utf-8", errors="replace").splitlines():
        if line.strip():
            index, _, name = line.strip().partition(" ")
            pairs.append((int(index), name.strip()))
    return [name for _, name in sorted(pairs)]


def read_rows(path: epath.Path) -> list[tuple[str, int, int]]:
    """(relative image path, class index, line number) per row; unparsable indices become -1."""
    text = path.read_bytes().decode("utf-8", errors="surrogateescape")
    rows = []
    for line, row in enumerate(csv.reader(io.StringIO(text, newline="")), start=1):
        if len(row) < 2 or not row[0].strip():
            continue
        try:
            index = int(row[-1])
        except ValueError:
            index = -1
        rows.append((",".join(row[:-1]).strip(), index, line))
    return rows


def load_task(roots: Sequence[epath.Path], task: str) -> Optional[TaskFiles]:
    """The task's files, or None when any of the three is missing."""
    names_path = find_task_file(roots, task, "class")
    paths = {split: find_task_file(roots, task, split) for split in SPLITS}
    if names_path is None or any(p is None for p in paths.values()):
        return None
    files = TaskFiles(task, read_class_names(names_path))
    for split, path in paths.items():
        files.rows[split] = read_rows(path)
        files.sources[split] = path.name
    return files


def find_image_root(roots: Sequence[epath.Path], sample: Sequence[str]) -> epath.Path:
    """The folder holding the style folders: the candidate where most of `sample` exist."""
    best, best_hits = None, -1
    for root in roots:
        for folder in IMAGE_FOLDERS:
            candidate = root / folder if folder else root
            if candidate.is_dir():
                hits = sum((candidate / rel).is_file() for rel in sample)
                if hits > best_hits:
                    best, best_hits = candidate, hits
    return best if best is not None else roots[0] / "wikiart"
