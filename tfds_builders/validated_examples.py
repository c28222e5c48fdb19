"""Shared `_generate_examples` core: validate every image, drop duplicates, quarantine what cannot be used.

Nothing is dropped silently: each rejected or missing file, duplicate, item without a usable label and
item left out by the config (e.g. undersampling) is listed with its reason in `quarantine_<split>.json`
next to the prepared data, counted in the dataset's metadata (`info.metadata["quarantine"]`) and
summarised in the build log. Label values that are blank or unknown for one column of a kept item are
listed too (the item is kept with label -1 for that column). The outcomes add up:
`total = kept + rejected + duplicates + unlabelled + excluded`.
"""

from __future__ import annotations

import json
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator, Optional

from etils import epath

from tfds_builders.errors import BuilderError
from tfds_builders.image_validation import DEFAULT_MAX_PIXELS, CleanImage, RejectedImage, clean_image, content_hash

log = logging.getLogger("artzoo.tfds")
VALIDATION_THREADS = 4  # Pillow releases the GIL while decoding
CHUNK = 64


@dataclass
class SourceItem:
    """One image file of a collection and the features that go with it (labels, ids).

    `label_issues` lists blank or unknown label values of this item, e.g.
    `{"column": "period", "value": "Ptolemaic", "reason": "unknown label"}`; `origin` says where the item
    was named (e.g. "labels.csv line 12") for the manifest.
    """

    key: str
    path: epath.Path
    features: dict[str, Any]
    label_issues: list[dict] = field(default_factory=list)
    origin: str = ""


@dataclass
class QuarantineReport:
    split: str
    total: int = 0
    kept: int = 0
    normalised: int = 0
    rejected: list[dict] = field(default_factory=list)
    duplicates: list[dict] = field(default_factory=list)
    unlabelled: list[dict] = field(default_factory=list)
    excluded: list[dict] = field(default_factory=list)
    label_issues: list[dict] = field(default_factory=list)

    def summary(self) -> dict[str, int]:
        return {
            "total": self.total,
            "kept": self.kept,
            "normalised": self.normalised,
            "rejected": len(self.rejected),
            "duplicates": len(self.duplicates),
            "unlabelled": len(self.unlabelled),
            "excluded": len(self.excluded),
            "label_issues": len(self.label_issues),
        }

    def as_dict(self) -> dict:
        return {"split": self.split, "summary": self.summary(), "rejected": self.rejected,
                "duplicates": self.duplicates, "unlabelled": self.unlabelled, "excluded": self.excluded,
                "label_issues": self.label_issues}


class SplitValidator:
    """Validates the items of one split, remembering content hashes across the builder's splits."""

    def __init__(self, builder, split: str, max_pixels: int = DEFAULT_MAX_PIXELS):
        self.builder = builder
        self.report = QuarantineReport(split)
        self.max_pixels = max_pixels
        self.seen: dict[str, str] = builder.__dict__.setdefault("_artzoo_seen_hashes", {})

    def unlabelled(self, path, reason: str) -> None:
        self.report.total += 1
        self.report.unlabelled.append({"file": str(path), "reason": reason})

    def exclude(self, path, reason: str) -> None:
        self.report.total += 1
        self.report.excluded.append({"file": str(path), "reason": reason})

    def validate(self, items: Iterable[SourceItem]) -> Iterator[tuple[str, dict]]:
        """Yields `(key, features)` with `features["image"]` set to clean bytes, in the items' order."""
        items = iter(items)
        with ThreadPoolExecutor(VALIDATION_THREADS) as pool:
            while True:
                chunk = [item for _, item in zip(range(CHUNK), items)]
                if not chunk:
                    return
                for item, outcome in zip(chunk, pool.map(self._check, chunk)):
                    example = self._accept(item, *outcome)
                    if example is not None:
                        yield example

    def _check(self, item: SourceItem) -> tuple[Optional[bytes], Optional[CleanImage], str]:
        outside = outside_reason(item.path)
        if outside:
            return None, None, outside + (f" (named in {item.origin})" if item.origin else "")
        try:
            raw = item.path.read_bytes()
        except FileNotFoundError:
            where = f" (named in {item.origin})" if item.origin else ""
            return None, None, f"missing file{where}"
        except OSError as err:
            return None, None, f"unreadable file: {err}"
        try:
            return raw, clean_image(raw, max_pixels=self.max_pixels), ""
        except RejectedImage as err:
            return raw, None, str(err)

    def _accept(self, item: SourceItem, raw, image: Optional[CleanImage], problem: str):
        self.report.total += 1
        if raw is not None:
            digest = content_hash(raw) if image is None else image.sha256
            if digest in self.seen:
                self.report.duplicates.append({"file": str(item.path), "duplicate_of": self.seen[digest]})
                return None
        if image is None:
            self.report.rejected.append({"file": str(item.path), "reason": problem})
            return None
        self.seen[digest] = str(item.path)
        self.report.kept += 1
        self.report.normalised += bool(image.fixes)
        self.report.label_issues += [{"file": str(item.path), **issue} for issue in item.label_issues]
        return item.key, {"image": image.data, **item.features}

    def finish(self) -> epath.Path:
        """Writes the manifest and metadata; raises if the split kept no image."""
        manifest = _record(self.builder, self.report)
        r = self.report
        if r.kept == 0:
            raise BuilderError(
                f"{self.builder.name}: split {r.split!r} has no usable image ({r.total} files: "
                f"{len(r.rejected)} rejected, {len(r.duplicates)} duplicates, {len(r.unlabelled)} unlabelled, "
                f"{len(r.excluded)} excluded); see {manifest}"
            )
        return manifest


def outside_reason(path) -> str:
    """Why `path` is not read: it climbs out of its folder with `..` (e.g. a CSV cell `../../etc/hostname`
    joined to the collection's folder). Collections name their own files; nothing outside is ever opened."""
    if ".." in epath.Path(path).parts:
        return "path leads outside the data folder (it contains '..'); not read"
    return ""


def validated_examples(
    builder,
    split: str,
    items: Iterable[SourceItem],
    unlabelled: Iterable[tuple[epath.Path, str]] = (),
    max_pixels: int = DEFAULT_MAX_PIXELS,
    excluded: Iterable[tuple[epath.Path, str]] = (),
) -> Iterator[tuple[str, dict]]:
    """Yields `(key, features)` with `features["image"]` set to clean JPEG or PNG bytes.

    Args:
        builder: the `GeneratorBasedBuilder` (for its data_dir, metadata and cross-split duplicate memory).
        split: split name, used in the manifest file name.
        items: the split's images and their features (without "image").
        unlabelled: files found but not usable for lack of a known label, with the reason.
        max_pixels: decompression-bomb guard.
        excluded: files deliberately left out by the builder config, with the reason.
    """
    validator = SplitValidator(builder, split, max_pixels)
    for path, reason in unlabelled:
        validator.unlabelled(path, reason)
    for path, reason in excluded:
        validator.exclude(path, reason)
    yield from validator.validate(items)
    validator.finish()


def _record(builder, report: QuarantineReport) -> epath.Path:
    manifest = epath.Path(builder.data_dir) / f"quarantine_{report.split}.json"
    manifest.parent.mkdir(parents=True, exist_ok=True)
    tmp = manifest.parent / f".{manifest.name}.tmp"
    tmp.write_text(json.dumps(report.as_dict(), indent=1))
    tmp.rename(manifest)  # atomic: a reader never sees half a manifest
    metadata = builder.info.metadata
    if metadata is not None:
        quarantine = dict(metadata.get("quarantine", {}))
        quarantine[report.split] = report.summary()
        metadata["quarantine"] = quarantine
    s = report.summary()
    log.warning(
        "%s/%s: %d files, %d kept (%d normalised), %d rejected, %d duplicates, %d unlabelled, %d excluded, "
        "%d label issues; manifest %s",
        builder.name, report.split, s["total"], s["kept"], s["normalised"], s["rejected"], s["duplicates"],
        s["unlabelled"], s["excluded"], s["label_issues"], manifest,
    )
    return manifest
