"""Makes the tiny dummy_data images the builder tests run on (deterministic, a few hundred bytes each).

    python -m tfds_builders.dummy_images   # rewrites every builder's dummy_data/
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image


def tiny_jpeg(seed: int, size: tuple[int, int] = (24, 20)) -> bytes:
    """A small, distinct RGB JPEG (a colour gradient plus noise keyed by `seed`)."""
    rng = np.random.default_rng(seed)
    h, w = size[1], size[0]
    base = rng.integers(0, 256, size=3)
    grad = np.linspace(0, 120, w)[None, :, None]
    pixels = (base[None, None, :] + grad + rng.integers(0, 30, size=(h, w, 3))) % 256
    out = io.BytesIO()
    Image.fromarray(pixels.astype(np.uint8), "RGB").save(out, format="JPEG", quality=80)
    return out.getvalue()


def write_class_folders(root: Path, counts: dict[str, dict[str, int]], seed: int = 0) -> int:
    """Writes `root/<split>/<class>/<n>.jpg` for `counts[split][class]` images; returns the next seed."""
    for split, per_class in counts.items():
        for class_name, n in per_class.items():
            folder = root / split / class_name
            folder.mkdir(parents=True, exist_ok=True)
            for i in range(n):
                (folder / f"{class_name.lower()}_{i}.jpg").write_bytes(tiny_jpeg(seed))
                seed += 1
    return seed


def make_louvre_genre(dummy: Path) -> None:
    classes = ("Genre", "Landscape", "Naturmort", "Portrait")
    seed = write_class_folders(dummy / "painting_image_data", {"train": dict.fromkeys(classes, 2),
                                                               "val": dict.fromkeys(classes, 1)})
    write_class_folders(dummy / "painting_image_test", {"test_standardized": dict.fromkeys(classes, 1)}, seed)


MAKERS = {"louvre_genre": make_louvre_genre}


def main() -> None:
    here = Path(__file__).parent
    for name, make in MAKERS.items():
        make(here / name / "dummy_data")


if __name__ == "__main__":
    main()
