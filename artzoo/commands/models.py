"""`artzoo models list [--pretrained] [--json]`: the registered backbones (size, preprocessing, ImageNet weights)
or, with --pretrained, their pretrained-weight tags (file, preprocessing, native size, cached or not)."""

from __future__ import annotations


def register(sub) -> None:
    p = sub.add_parser("models", help="list registered backbones")
    p.add_argument("action", choices=["list"])
    p.add_argument("--pattern", default="*", help="shell pattern on names, e.g. 'resnet*'")
    p.add_argument("--pretrained", action="store_true",
                   help="list the pretrained-weight tags (e.g. mobilenet_v2.imagenet) instead of the backbones")
    p.add_argument("--recount", action="store_true",
                   help="build every listed backbone (random weights) to count its parameters again (slow)")
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


def pretrained_records(pattern: str = "*") -> list[dict]:
    """Per pretrained tag: name (`<backbone>.<tag>`), file, preprocessing, native size, cached or not."""
    from artzoo.api import list_models
    from artzoo.models.registry import get_pretrained

    records = []
    for name in list_models(pattern, pretrained=True):
        tag = get_pretrained(name)
        records.append({"name": name, "file": tag.file, "preprocessing": tag.preprocessing, "size": tag.size,
                        "cached": tag.cached_file() is not None})
    return records


def run(args) -> int:
    from artzoo.cli import print_json
    from artzoo.models.registry import keras_cache_dir

    records = pretrained_records(args.pattern) if args.pretrained else model_records(args.pattern, args.recount)
    if args.json:
        print_json(records)
        return 0
    if not records:
        print(f"no {'pretrained tag' if args.pretrained else 'backbone'} matches {args.pattern!r}")
        return 0
    if args.pretrained:
        _print_pretrained(records)
    else:
        _print_backbones(records)
    print(f"imagenet / cached: weights in {keras_cache_dir()} (cached), downloadable by Keras when online "
          "(not cached), or none (-)")
    return 0


def _print_backbones(records: list[dict]) -> None:
    print(f"{'name':20} {'family':16} {'parameters':>12} {'size':>5}  {'preprocessing':13} imagenet")
    for r in records:
        imagenet = "-" if r["imagenet"] == "none" else r["imagenet"]
        print(f"{r['name']:20} {r['family']:16} {r['parameters']:>12,} {r['default_size']:>5}  "
              f"{r['preprocessing']:13} {imagenet}")
    print("parameters: without a top, at the default size (counted once by building the backbone, then cached)")


def _print_pretrained(records: list[dict]) -> None:
    print(f"{'name':30} {'size':>5}  {'preprocessing':13} {'cached':10} file")
    for r in records:
        print(f"{r['name']:30} {r['size']:>5}  {r['preprocessing']:13} {'cached' if r['cached'] else 'not':10} "
              f"{r['file']}")
