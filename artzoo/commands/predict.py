"""`artzoo predict MODEL IMAGE... [--top-k K] [--json]`: top-k labels per head from any artzoo export."""

from __future__ import annotations

import json
import sys


def register(sub) -> None:
    p = sub.add_parser("predict", help="top-k labels from a run or an export (SavedModel, .keras, .tflite, .onnx)")
    p.add_argument("model", help="a run directory, a SavedModel version or TF Serving model folder, or a "
                                 ".keras/.tflite/.onnx file")
    p.add_argument("images", nargs="+")
    p.add_argument("--top-k", type=int, help="classes per head (default: all the export ranks)")
    p.add_argument("--json", action="store_true")
    p.add_argument("--tta", default="none", choices=("none", "flip", "crops"),
                   help="test-time augmentation: average over the image and its mirror (flip) or 12 crops and "
                        "mirrors (crops)")
    p.set_defaults(func=run)


def run(args) -> int:
    """Exit status 0, or 1 when the model rejected some images (they are listed with their error)."""
    from artzoo.predictor import predict_files

    results = predict_files(args.model, args.images, args.top_k, tta=args.tta)
    rejected = [r for r in results if "error" in r]
    if args.json:
        print(json.dumps(results, indent=1))
    else:
        for entry in results:
            print(entry["image"])
            if "error" in entry:
                print(f"  rejected: {entry['error']}")
            for head, preds in entry.items():
                if head not in ("image", "error"):
                    print(f"  {head}: " + ", ".join(_format(p) for p in preds))
    if rejected:
        print(f"artzoo: {len(rejected)} of {len(results)} images rejected by the model", file=sys.stderr)
        return 1
    return 0


def _format(pred: dict) -> str:
    mark = "*" if pred.get("positive") else ""
    return f"{pred['label']}{mark} {pred['probability']:.3f}"
