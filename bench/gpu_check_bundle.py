"""Prepares what `bench/gpu_check.py` needs on a GPU machine that has no network: data, weights and wheels.

    python bench/gpu_check_bundle.py [--size 224] [--quality 90] [--no-wheels]

Writes, in the repository root (both folders are git-ignored):
  .gpudata/louvre4_<size>.npz   Louvre-4 (950 train / 200 val) re-encoded as <size> x <size> JPEG: one byte blob,
                                offsets, labels, split (0 train, 1 val), class names, file names
  .gpudata/<MobileNetV2 no-top>.h5   the ImageNet weights, copied from ../shared/weights
  .whl/                         keras and the dependencies the GPU image lacks (namex, optree), for CPython 3.12
                                on manylinux x86-64, fetched with `pip download`
and prints the sizes. The images are squashed to the square (the genre recipe's `resize: squash`) with PIL's
antialiased bilinear filter, as artzoo's antialiased resize does.
"""

from __future__ import annotations

import argparse
import io
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from bench.shared_weights import SHARED  # noqa: E402

WEIGHTS = "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224_no_top.h5"
CLASSES = ("Genre", "Landscape", "Naturmort", "Portrait")
SPLITS = ("train", "val")
# keras's Requires-Dist: absl-py, numpy, rich, namex, h5py, optree, ml-dtypes, packaging; the GPU image has all
# but namex and optree (KINDS.md's package list).
WHEELS = ("keras==3.15.1", "namex==0.1.0", "optree==0.20.0")
PLATFORMS = ("manylinux_2_28_x86_64", "manylinux_2_27_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64",
             "manylinux1_x86_64")


def encode_louvre(source: Path, size: int, quality: int) -> dict[str, np.ndarray]:
    blobs, labels, split, names = [], [], [], []
    for split_index, split_name in enumerate(SPLITS):
        for label, cls in enumerate(CLASSES):
            for path in sorted((source / split_name / cls).glob("*.jpg")):
                with Image.open(path) as im:
                    im = im.convert("RGB").resize((size, size), Image.BILINEAR)
                    buffer = io.BytesIO()
                    im.save(buffer, format="JPEG", quality=quality)
                blobs.append(np.frombuffer(buffer.getvalue(), dtype=np.uint8))
                labels.append(label)
                split.append(split_index)
                names.append(f"{split_name}/{cls}/{path.name}")
    if not blobs:
        raise SystemExit(f"no JPEG files under {source}/{{train,val}}/<class>/")
    offsets = np.zeros(len(blobs) + 1, dtype=np.int64)
    offsets[1:] = np.cumsum([len(b) for b in blobs])
    return {"blob": np.concatenate(blobs), "offsets": offsets, "labels": np.asarray(labels, np.int8),
            "split": np.asarray(split, np.uint8), "classes": np.asarray(CLASSES), "names": np.asarray(names),
            "size": np.asarray(size)}


def download_wheels(target: Path) -> None:
    target.mkdir(exist_ok=True)
    for old in target.glob("*.whl"):  # one version of each: two stop the install on the device
        old.unlink()
    platforms = [arg for p in PLATFORMS for arg in ("--platform", p)]
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                    "--python-version", "3.12", "--implementation", "cp", *platforms, "-d", str(target), *WHEELS],
                   check=True)


def folder_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", type=int, default=224)
    p.add_argument("--quality", type=int, default=90)
    p.add_argument("--source", type=Path, default=SHARED / "data" / "louvre_genre")
    p.add_argument("--no-wheels", action="store_true", help="skip the pip download")
    args = p.parse_args()
    data_dir, wheel_dir = REPO / ".gpudata", REPO / ".whl"
    data_dir.mkdir(exist_ok=True)
    arrays = encode_louvre(args.source, args.size, args.quality)
    out = data_dir / f"louvre4_{args.size}.npz"
    tmp = out.with_suffix(".tmp.npz")
    np.savez(tmp, **arrays)  # uncompressed: JPEG bytes do not compress further
    tmp.replace(out)
    shutil.copyfile(SHARED / "weights" / WEIGHTS, data_dir / WEIGHTS)
    if not args.no_wheels:
        download_wheels(wheel_dir)
    counts = {s: int((arrays["split"] == i).sum()) for i, s in enumerate(SPLITS)}
    print(f"{out.relative_to(REPO)}: {counts}, {out.stat().st_size / 2**20:.1f} MiB")
    print(f".gpudata total {folder_size(data_dir) / 2**20:.1f} MiB; "
          f".whl total {folder_size(wheel_dir) / 2**20:.1f} MiB "
          f"({', '.join(sorted(f.name for f in wheel_dir.glob('*.whl')))})")


if __name__ == "__main__":
    main()
