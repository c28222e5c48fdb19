"""`artzoo predict MODEL IMAGE...`: top-k labels from an exported SavedModel."""

from __future__ import annotations

import json


def register(sub) -> None:
    p = sub.add_parser("predict", help="top-k labels from an exported SavedModel")
    p.add_argument("model", help="SavedModel version directory or TF Serving model directory")
    p.add_argument("images", nargs="+")
    p.add_argument("--top-k", type=int)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run)


def run(args) -> int:
    from artzoo.predict import predict_files

    results = predict_files(args.model, args.images, args.top_k)
    if args.json:
        print(json.dumps(results, indent=1))
        return 0
    for entry in results:
        print(entry["image"])
        for head, preds in entry.items():
            if head != "image":
                print(f"  {head}: " + ", ".join(f"{p['label']} {p['probability']:.3f}" for p in preds))
    return 0
