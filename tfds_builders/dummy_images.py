"""Makes the tiny dummy_data the builder tests run on, in each real collection's own layout
(deterministic, a few hundred bytes per image). Each layout also holds the faults real collections have:
a file named in a CSV but missing, an unknown label, a row without any label, a text file posing as a JPEG.

    python -m tfds_builders.dummy_images   # rewrites every builder's dummy_data/
"""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import numpy as np
from PIL import Image

NOT_AN_IMAGE = b"<html>404 Not Found</html>\n"


def _pixels(seed: int, size: tuple[int, int]) -> np.ndarray:
    rng = np.random.default_rng(seed)
    w, h = size
    base = rng.integers(0, 256, size=3)
    grad = np.linspace(0, 120, w)[None, :, None]
    return ((base[None, None, :] + grad + rng.integers(0, 30, size=(h, w, 3))) % 256).astype(np.uint8)


def tiny_jpeg(seed: int, size: tuple[int, int] = (24, 20)) -> bytes:
    """A small, distinct RGB JPEG (a colour gradient plus noise keyed by `seed`)."""
    out = io.BytesIO()
    Image.fromarray(_pixels(seed, size), "RGB").save(out, format="JPEG", quality=80)
    return out.getvalue()


def tiny_png(seed: int, size: tuple[int, int] = (24, 20)) -> bytes:
    out = io.BytesIO()
    Image.fromarray(_pixels(seed, size), "RGB").save(out, format="PNG")
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


def _write(path: Path, data: bytes | str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data if isinstance(data, bytes) else data.encode())


def make_louvre_genre(dummy: Path) -> None:
    classes = ("Genre", "Landscape", "Naturmort", "Portrait")
    seed = write_class_folders(dummy / "painting_image_data", {"train": dict.fromkeys(classes, 2),
                                                               "val": dict.fromkeys(classes, 1)})
    write_class_folders(dummy / "painting_image_test", {"test_standardized": dict.fromkeys(classes, 1)}, seed)


# WikiArt (ArtGAN): images under style folders; per task a class list and headerless train/val CSVs.
WIKIART_CLASSES = {
    "genre": ("cityscape", "landscape", "portrait", "still_life"),
    "style": ("Baroque", "Impressionism", "Realism"),
    "artist": ("Claude_Monet", "Rembrandt"),
}
# (style folder, file stem, genre) per split; train genre counts landscape 5, portrait 3, cityscape 2,
# still_life 1, so top-N and balancing have something to do.
WIKIART_IMAGES = {
    "train": [("Impressionism", "claude-monet_poplars", "landscape"),
              ("Impressionism", "claude-monet_haystacks", "landscape"),
              ("Realism", "ivan-shishkin_pines", "landscape"), ("Realism", "ivan-shishkin_rye", "landscape"),
              ("Baroque", "rembrandt_the-mill", "landscape"), ("Baroque", "rembrandt_self-portrait", "portrait"),
              ("Impressionism", "claude-monet_camille", "portrait"), ("Realism", "ilya-repin_tolstoy", "portrait"),
              ("Impressionism", "claude-monet_london", "cityscape"), ("Realism", "ilya-repin_street", "cityscape"),
              ("Baroque", "rembrandt_still-life-with-peacocks", "still_life")],
    "val": [("Impressionism", "claude-monet_water-lilies", "landscape"),
            ("Realism", "ivan-shishkin_oaks", "landscape"), ("Baroque", "rembrandt_night-watch-study", "portrait"),
            ("Impressionism", "claude-monet_rouen", "cityscape"),
            ("Realism", "ilya-repin_apples", "still_life")],
}
WIKIART_ARTISTS = {"claude-monet": "Claude_Monet", "rembrandt": "Rembrandt"}


def make_wikiart(dummy: Path, seed: int = 100) -> None:
    rows = {task: {"train": [], "val": []} for task in WIKIART_CLASSES}
    for split, images in WIKIART_IMAGES.items():
        for style, stem, genre in images:
            rel = f"{style}/{stem}.jpg"
            _write(dummy / "wikiart" / rel, tiny_jpeg(seed))
            seed += 1
            rows["genre"][split].append(f"{rel},{WIKIART_CLASSES['genre'].index(genre)}")
            rows["style"][split].append(f"{rel},{WIKIART_CLASSES['style'].index(style)}")
            artist = WIKIART_ARTISTS.get(stem.split("_")[0])
            if artist:  # Realism painters are not among the artist task's classes: artist label -1
                rows["artist"][split].append(f"{rel},{WIKIART_CLASSES['artist'].index(artist)}")
    rows["genre"]["train"].append("Realism/ilya-repin_lost-painting.jpg,2")  # named in the CSV, file missing
    rows["genre"]["train"].append("Realism/ivan-shishkin_rain.jpg,9")  # index outside genre_class.txt
    _write(dummy / "wikiart" / "Realism" / "ivan-shishkin_rain.jpg", tiny_jpeg(seed))
    for task, names in WIKIART_CLASSES.items():
        _write(dummy / "wikiart_csv" / f"{task}_class.txt", "".join(f"{i} {n}\n" for i, n in enumerate(names)))
        for split, lines in rows[task].items():
            _write(dummy / "wikiart_csv" / f"{task}_{split}.csv", "".join(f"{line}\n" for line in lines))
    make_wikiart_folders(dummy / "style_folders", seed + 1)


def make_wikiart_folders(root: Path, seed: int) -> None:
    """WikiArt-7's plain layout: train 2 / val 1 / test 1 per style, plus a text file posing as a JPEG in
    train and a val style folder that train lacks (both quarantined)."""
    styles = ("Baroque", "Impressionism", "Realism")
    seed = write_class_folders(root, {"train": dict.fromkeys(styles, 2), "val": dict.fromkeys(styles, 1),
                                      "test": dict.fromkeys(styles, 1)}, seed)
    _write(root / "train" / "Baroque" / "baroque_broken.jpg", NOT_AN_IMAGE)
    _write(root / "val" / "Cubism" / "cubism_0.jpg", tiny_jpeg(seed))


# iMet (Kaggle): train/<id>.png, train.csv (id, space-separated attribute ids), labels.csv (group::name).
IMET_LABELS = {
    "2019": ["culture::american", "culture::french", "culture::japan", "tag::flowers", "tag::men", "tag::women"],
    "2020": ["country::france", "country::japan", "culture::french", "dimension::large", "dimension::small",
             "medium::oil on canvas", "medium::woodblock print", "tags::landscapes", "tags::women"],
}
IMET_ROWS = {
    "2019": ["0 4", "1 3", "2 5", "2 3 5", "0 4 5", "1", "4", "2 3", "0 5", "1 4 99"],
    "2020": ["0 2 3 5 7", "1 4 6 8", "1 6 7", "0 2 5 8", "0 3 5", "1 4 6", "7", "0 2 3 5 8", "1 6 8", "0 5 7 99"],
}
IMET_FOLDERS = {"2019": "imet-2019-fgvc6", "2020": "imet-2020-fgvc7"}


def make_imet(dummy: Path, seed: int = 200) -> None:
    for year, folder in IMET_FOLDERS.items():
        base = dummy / folder
        labels = "".join(f"{i},{name}\n" for i, name in enumerate(IMET_LABELS[year]))
        _write(base / "labels.csv", "attribute_id,attribute_name\n" + labels)
        lines = ["id,attribute_ids"]
        for i, ids in enumerate(IMET_ROWS[year]):
            image_id = f"{year}{i:04d}a1b2c3"
            _write(base / "train" / f"{image_id}.png", tiny_png(seed))
            seed += 1
            lines.append(f"{image_id},{ids}")
        lines.append(f"{year}missing0000,0")  # named in train.csv, no image
        lines.append(f"{year}unknown0000,98 99")  # no known attribute
        _write(base / "train" / f"{year}unknown0000.png", tiny_png(seed))
        seed += 1
        _write(base / "train.csv", "\n".join(lines) + "\n")


# Ancient art: labels.csv (image, culture, medium, period, split) with the messiness of hand-made labels.
ANCIENT_ROWS = [
    ("Greek", "sculpture", "early", "train"), (" greek ", "Painting", "Middle", "train"),
    ("GREEK", "architecture", "late", "train"), ("Roman", "sculpture", "late", "train"),
    ("roman", "architecture", "middle", "train"), ("Roman ", "painting", "", "train"),
    ("Egyptian", "sculpture", "early", "train"), ("egyptian", "painting", "early", "train"),
    ("Etruscan", "sculpture", "middle", "train"),  # culture unknown to the config: -1, listed
    ("Greek", "sculpture", "middle", "val"), ("Roman", "architecture", "early", "val"),
    ("Egyptian", "architecture", "late", "val"), ("Greek", "painting", "late", "test"),
    ("Egyptian", "sculpture", "middle", "test"),
]


def make_ancient_art(dummy: Path, seed: int = 300) -> None:
    lines = ["image,culture,medium,period,split"]
    for i, (culture, medium, period, split) in enumerate(ANCIENT_ROWS):
        name = f"images/{culture.strip().lower()}_{medium.lower()}_{i}.jpg"
        _write(dummy / name, tiny_jpeg(seed))
        seed += 1
        lines.append(f"{name},{culture},{medium},{period},{split}")
    lines.append("images/greek_vase_lost.jpg,Greek,painting,late,train")  # file missing
    lines.append("images/unlabelled_0.jpg,,,,train")  # no label at all
    _write(dummy / "images" / "unlabelled_0.jpg", tiny_jpeg(seed))
    _write(dummy / "labels.csv", "\n".join(lines) + "\n")
    make_egyptian(dummy / "egyptian_artifacts", seed + 1)


# Config egyptian: real IDs and metadata strings of ../shared/data/egyptian_artifacts (a blank Period, a
# date outside the era scale, a Medium naming no material), synthetic images; one row's image is missing.
EGYPTIAN_ROWS = [
    ("HAM_117323", "train", "Statuary", "", "Ivory"),
    ("CHI_100628", "train", "Statuary", "First half of the 3rd century", "Marble"),
    ("CHI_120365", "train", "Jewellery", "First Intermediate Period, Dynasty 10, about 2050 BCE",
     "Limestone and pigment"),
    ("CHI_120368", "train", "Jewellery", "Old Kingdom, mid–Dynasty 5–early Dynasty 6 (about 2445–2287 BCE)",
     "Limestone"),
    ("CHI_104488", "train", "Pottery", "725-700 BCE", "terracotta"),
    ("CHI_105546", "train", "Pottery", "430-410 BCE", "terracotta, black-glaze with impressed decoration"),
    ("CHI_127859", "train", "Reliefs", "Middle Kingdom, early Dynasty 12, about 1956–1877 BCE",
     "Limestone and pigment"),
    ("CHI_127894", "train", "Reliefs", "Middle Kingdom, late Dynasty 12–early Dynasty 13, about 1870–1770 BCE",
     "Limestone and pigment"),
    ("CHI_105691", "train", "Unclassified", "c. 1893", "Book containing photogravures (25)"),
    ("CHI_10006", "train", "Unclassified", "138", "Gold"),
    ("CHI_102082", "val", "Statuary", "360-350 BCE", "terracotta, red-figure"),
    ("CHI_135838", "val", "Jewellery", "Third Intermediate Period (about 1069–664 BCE)", "Faience"),
    ("CHI_109509", "val", "Pottery", "Early 1st century", "terracotta"),
    ("CHI_127867", "val", "Reliefs", "Ptolemaic Period (332–30 BCE)", "Limestone"),
    ("CHI_194522", "val", "Unclassified", "37-33 BCE, issued by Mark Antony", "Silver"),
]


def make_egyptian(root: Path, seed: int) -> None:
    import csv

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["ID", "Medium", "Period", "Classification"])
    for image_id, split, kind, period, medium in EGYPTIAN_ROWS:
        _write(root / split / kind / f"{image_id}.jpg", tiny_jpeg(seed))
        seed += 1
        writer.writerow([image_id, medium, period, kind])
    writer.writerow(["MET_000000", "Ivory", "", "Statuary"])  # no image anywhere below the CSV
    _write(root / "metadata.csv", out.getvalue())


def make_art_folder(dummy: Path, seed: int = 400) -> None:
    """classes/: a split-less class-folder tree (7:2:1 by the shared rule); table/: a CSV with two label
    columns and no split column."""
    seed = write_class_folders(dummy, {"classes": dict.fromkeys(("Bust", "Relief", "Statue"), 10)}, seed)
    _write(dummy / "classes" / "Relief" / "relief_broken.jpg", NOT_AN_IMAGE)
    lines = ["image,material,era"]
    materials = ("bronze", "marble", "terracotta")
    eras = ("archaic", "classical", "hellenistic", "")
    for i in range(18):
        name = f"images/object_{i:02d}.jpg"
        _write(dummy / "table" / name, tiny_jpeg(seed))
        seed += 1
        lines.append(f"{name},{materials[i % 3]},{eras[i % 4]}")
    lines.append("images/object_lost.jpg,marble,classical")  # file missing
    lines.append("images/object_99.jpg,,")  # no label at all
    _write(dummy / "table" / "images" / "object_99.jpg", tiny_jpeg(seed))
    _write(dummy / "table" / "labels.csv", "\n".join(lines) + "\n")


def make_louvre_wikiart(dummy: Path, seed: int = 500) -> None:
    """The two plain layouts side by side; an unknown genre folder in train is quarantined."""
    genres = ("Genre", "Landscape", "Naturmort", "Portrait")
    seed = write_class_folders(dummy / "louvre_genre", {"train": dict.fromkeys(genres, 2),
                                                        "val": dict.fromkeys(genres, 1)}, seed)
    seed = write_class_folders(dummy / "wikiart_style7", {"train": dict.fromkeys(("Baroque", "Symbolism"), 2),
                                                          "val": dict.fromkeys(("Baroque", "Symbolism"), 1)}, seed)
    _write(dummy / "louvre_genre" / "train" / "Sculpture" / "sculpture_0.jpg", tiny_jpeg(seed))


MAKERS = {"louvre_genre": make_louvre_genre, "wikiart": make_wikiart, "imet": make_imet,
          "ancient_art": make_ancient_art, "art_folder": make_art_folder, "louvre_wikiart": make_louvre_wikiart}


def make_all(builders_dir: Path) -> None:
    for name, make in MAKERS.items():
        dummy = builders_dir / name / "dummy_data"
        shutil.rmtree(dummy, ignore_errors=True)
        make(dummy)


def main() -> None:
    make_all(Path(__file__).parent)


if __name__ == "__main__":
    main()
