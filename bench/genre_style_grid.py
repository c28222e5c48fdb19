"""Cross-predictions of the genre x style coordinator as a PNG grid: Louvre paintings get a style, WikiArt
paintings a genre, each beside the label its collection does give (true / predicted).

    PYTHONPATH=. python bench/genre_style_grid.py RUN_DIR --shared ../shared/data --out docs/genre_style_grid.png

Takes `--per-class` val images of every Louvre genre and every WikiArt style (the first files in name order, so
the grid is the same on every run) and runs the run's best model (`model.keras`) on them exactly as the
training pipeline prepares images.
"""

from __future__ import annotations

import argparse
import sys
import textwrap
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def pick(root: Path, per_class: int) -> list[tuple[Path, str]]:
    out = []
    for class_dir in sorted(p for p in (root / "val").iterdir() if p.is_dir()):
        out += [(path, class_dir.name) for path in sorted(class_dir.iterdir())[:per_class]]
    return out


def pixels(paths, size: int, resize: str) -> np.ndarray:
    import tensorflow as tf

    from artzoo.data.resize import decode_rgb, resize_image

    return np.stack([resize_image(decode_rgb(tf.io.read_file(str(p))), size, resize).numpy() for p in paths])


def caption(known: str, truth: str, probs: dict, classes: dict) -> str:
    lines = []
    for head in ("genre", "style"):
        i = int(np.argmax(probs[head]))
        name = classes[head][i].replace("_", " ")
        mark = "" if head != known else (" ✓" if classes[head][i] == truth else f" ✗ ({truth.replace('_', ' ')})")
        lines.append(f"{head}: {name} {probs[head][i]:.2f}{mark}")
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("run_dir")
    p.add_argument("--shared", default="../shared/data")
    p.add_argument("--out", required=True)
    p.add_argument("--per-class", type=int, default=1)
    args = p.parse_args()
    import keras
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    import artzoo  # noqa: F401  (registers artzoo's Keras layers for load_model)
    from artzoo.run_dir import RunDir

    run = RunDir.open(args.run_dir)
    cfg, classes = run.config(), run.classes()
    model = keras.models.load_model(run.model_path, safe_mode=True)
    shared = Path(args.shared)
    items = [("genre", *x) for x in pick(shared / "louvre_genre", args.per_class)]
    items += [("style", *x) for x in pick(shared / "wikiart_style7", args.per_class)]
    images = pixels([path for _, path, _ in items], cfg.data.image_size, cfg.data.resize)
    out = model.predict(images, batch_size=16, verbose=0)
    cols = 4
    rows = -(-len(items) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(cols * 3.2, rows * 3.9))
    for ax in axes.ravel():
        ax.axis("off")
    for i, (known, path, truth) in enumerate(items):
        ax = axes.ravel()[i]
        ax.imshow(images[i].astype("uint8"))
        source = "Louvre" if known == "genre" else "WikiArt"
        text = caption(known, truth, {h: out[h][i] for h in ("genre", "style")}, classes)
        ax.set_title(f"{source} {path.name}\n{text}", fontsize=7.5, loc="left")
    fig.suptitle(textwrap.fill(f"genre x style coordinator ({Path(args.run_dir).name}): every painting gets both "
                               "heads; ✓/✗ against the one label its collection has", 110), fontsize=9)
    fig.tight_layout()
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.out, dpi=80)
    print(f"wrote {args.out} ({len(items)} paintings)")


if __name__ == "__main__":
    main()
