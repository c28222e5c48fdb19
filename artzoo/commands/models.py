"""`artzoo models list [--json]`: the registered backbones, their size, preprocessing and ImageNet weights."""

from __future__ import annotations


def register(sub) -> None:
    p = sub.add_parser("models", help="list registered backbones")
    p.add_argument("action", choices=["list"])
    p.add_argument("--pattern", default="*", help="shell pattern on names, e.g. 'resnet*'")
    p.add_argument("--recount", action="store_true",
                   help="build every listed backbone (random weights) to count its parameters (slow)")
    p.add_argument("--json", action="store_true", help="a JSON list of objects instead of the table")
    p.set_defaults(func=run)


def model_records(pattern: str = "*", recount: bool = False) -> list[dict]:
    """Per backbone: name, family, parameters (no top, default size), default size, preprocessing, ImageNet."""
    from artzoo.api import list_models
    from artzoo.models.parameter_counts import parameter_count
    from artzoo.models.registry import get_backbone_spec

    records = []
    for name in list_models(pattern):
        spec = get_backbone_spec(name)
        imagenet = "cached" if spec.cached_weight_files() else "not cached" if spec.has_imagenet else "none"
        records.append({"name": name, "family": spec.family, "parameters": parameter_count(name, recount=recount),
                        "default_size": spec.default_size, "preprocessing": spec.preprocessing,
                        "imagenet": imagenet})
    return records


def run(args) -> int:
    from artzoo.cli import print_json
    from artzoo.models.registry import keras_cache_dir

    records = model_records(args.pattern, args.recount)
    if args.json:
        print_json(records)
        return 0
    if not records:
        print(f"no backbone matches {args.pattern!r}")
        return 0
    print(f"{'name':20} {'family':16} {'parameters':>12} {'size':>5}  {'preprocessing':13} imagenet")
    for r in records:
        imagenet = "-" if r["imagenet"] == "none" else r["imagenet"]
        print(f"{r['name']:20} {r['family']:16} {r['parameters']:>12,} {r['default_size']:>5}  "
              f"{r['preprocessing']:13} {imagenet}")
    print(f"parameters: without a top, at the default size; imagenet: weights in {keras_cache_dir()} "
          "(cached), downloadable by Keras when online (not cached), or none (-)")
    return 0
