"""Shared `_generate_examples` core: validate every image, drop duplicates, quarantine what cannot be used.

Nothing is dropped silently: each rejected file, duplicate or item with an unknown label is listed with
its reason in `quarantine_<split>.json` next to the prepared data, counted in the dataset's metadata
(`info.metadata["quarantine"]`), and summarised in the build log.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator

from etils import epath

from artzoo.errors import ArtzooError
from tfds_builders.image_validation import DEFAULT_MAX_PIXELS, RejectedImage, clean_image, content_hash

log = logging.getLogger("artzoo.tfds")


@dataclass
class SourceItem:
    """One image file of a collection and the features that go with it (labels, ids)."""

    key: str
    path: epath.Path
    features: dict[str, Any]


@dataclass
class QuarantineReport:
    split: str
    total: int = 0
    kept: int = 0
    normalised: int = 0
    rejected: list[dict] = field(default_factory=list)
    duplicates: list[dict] = field(default_factory=list)
    unlabelled: list[dict] = field(default_factory=list)

    def summary(self) -> dict[str, int]:
        return {
            "total": self.total,
            "kept": self.kept,
            "normalised": self.normalised,
            "rejected": len(self.rejected),
            "duplicates": len(self.duplicates),
            "unlabelled": len(self.unlabelled),
        }

    def as_dict(self) -> dict:
        return {
            "split": self.split,
            "summary": self.summary(),
            "rejected": self.rejected,
            "duplicates": self.duplicates,
            "unlabelled": self.unlabelled,
        }


def validated_examples(
    builder,
    split: str,
    items: Iterable[SourceItem],
    unlabelled: Iterable[tuple[epath.Path, str]] = (),
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> Iterator[tuple[str, dict]]:
    """Yields `(key, features)` with `features["image"]` set to clean JPEG bytes.

    Args:
        builder: the `GeneratorBasedBuilder` (for its data_dir, metadata and cross-split duplicate memory).
        split: split name, used in the manifest file name.
        items: the split's images and their features (without "image").
        unlabelled: files found but not usable for lack of a known label, with the reason.
        max_pixels: decompression-bomb guard.
    """
    seen: dict[str, str] = builder.__dict__.setdefault("_artzoo_seen_hashes", {})
    report = QuarantineReport(split)
    for path, reason in unlabelled:
        report.total += 1
        report.unlabelled.append({"file": str(path), "reason": reason})
    for item in items:
        report.total += 1
        try:
            raw = item.path.read_bytes()
        except OSError as err:
            report.rejected.append({"file": str(item.path), "reason": f"unreadable file: {err}"})
            continue
        digest = content_hash(raw)
        if digest in seen:
            report.duplicates.append({"file": str(item.path), "duplicate_of": seen[digest]})
            continue
        try:
            image = clean_image(raw, max_pixels=max_pixels)
        except RejectedImage as err:
            report.rejected.append({"file": str(item.path), "reason": str(err)})
            continue
        seen[digest] = str(item.path)
        report.kept += 1
        report.normalised += bool(image.fixes)
        yield item.key, {"image": image.data, **item.features}
    manifest = _record(builder, report)
    if report.kept == 0:
        raise ArtzooError(
            f"{builder.name}: split {split!r} has no usable image ({report.total} files: "
            f"{len(report.rejected)} rejected, {len(report.duplicates)} duplicates, "
            f"{len(report.unlabelled)} unlabelled); see {manifest}"
        )


def _record(builder, report: QuarantineReport) -> epath.Path:
    manifest = epath.Path(builder.data_dir) / f"quarantine_{report.split}.json"
    manifest.parent.mkdir(parents=True, exist_ok=True)
    manifest.write_text(json.dumps(report.as_dict(), indent=1))
    metadata = builder.info.metadata
    if metadata is not None:
        quarantine = dict(metadata.get("quarantine", {}))
        quarantine[report.split] = report.summary()
        metadata["quarantine"] = quarantine
    s = report.summary()
    log.warning(
        "%s/%s: %d files, %d kept (%d normalised), %d rejected, %d duplicates, %d unlabelled; manifest %s",
        builder.name, report.split, s["total"], s["kept"], s["normalised"], s["rejected"],
        s["duplicates"], s["unlabelled"], manifest,
    )
    return manifest
