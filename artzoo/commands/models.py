"""`artzoo models list`: the registered backbones."""

from __future__ import annotations


def register(sub) -> None:
    p = sub.add_parser("models", help="list registered backbones")
    p.add_argument("action", choices=["list"])
    p.add_argument("--pattern", default="*")
    p.set_defaults(func=run)


def run(args) -> int:
    from artzoo.models.registry import get_backbone_spec, list_backbones

    print(f"{'name':22} {'family':15} {'size':>5}  {'preprocessing':13} imagenet")
    for name in list_backbones(args.pattern):
        spec = get_backbone_spec(name)
        cached = "cached" if spec.cached_weight_files() else ("download" if spec.has_imagenet else "-")
        print(f"{name:22} {spec.family:15} {spec.default_size:>5}  {spec.preprocessing:13} {cached}")
    return 0
