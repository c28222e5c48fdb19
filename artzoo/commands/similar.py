"""`artzoo similar IMAGE --index FILE.npz --k 8`: the most similar works of an index, with a gallery PNG."""

from __future__ import annotations

import json
from pathlib import Path


def register(sub) -> None:
    p = sub.add_parser("similar", help="nearest works of an embeddings index by cosine similarity")
    p.add_argument("image")
    p.add_argument("--index", required=True, help="an .npz written by `artzoo embed`")
    p.add_argument("--k", type=int, default=8)
    p.add_argument("--out", help="gallery PNG (default: similar_<image>.png beside the index)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run)


def run(args) -> int:
    from artzoo.api import similar

    gallery = args.out or str(Path(args.index).with_name(f"similar_{Path(args.image).stem}.png"))
    result = similar(args.image, args.index, args.k, gallery)
    if args.json:
        print(json.dumps(result, indent=1))
        return 0
    for hit in result["hits"]:
        label = f"  [{hit['label']}]" if hit["label"] else ""
        print(f"{hit['rank']:3d}. {hit['score']:.4f}  {hit['id']}{label}")
    print(f"gallery: {result['gallery']}")
    return 0
