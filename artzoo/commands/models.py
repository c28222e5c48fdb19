"""`artzoo models list`: the registered backbones, their size, preprocessing and ImageNet weights."""

from __future__ import annotations


def register(sub) -> None:
    p = sub.add_parser("models", help="list registered backbones")
    p.add_argument("action", choices=["list"])
    p.add_argument("--pattern", default="*", help="shell pattern on names, e.g. 'resnet*'")
    p.add_argument("--recount", action="store_true",
                   help="build every listed backbone (random weights) to count its parameters (slow)")
    p.set_defaults(func=run)


def run(args) -> int:
    from artzoo.models.parameter_counts import parameter_count
    from artzoo.models.registry import get_backbone_spec, keras_cache_dir, list_backbones

    names = list_backbones(args.pattern)
    if not names:
        print(f"no backbone matches {args.pattern!r}")
        return 0
    print(f"{'name':20} {'family':16} {'parameters':>12} {'size':>5}  {'preprocessing':13} imagenet")
    for name in names:
        spec = get_backbone_spec(name)
        if spec.cached_weight_files():
            imagenet = "cached"
        else:
            imagenet = "not cached" if spec.has_imagenet else "-"
        params = parameter_count(name, recount=args.recount)
        print(f"{name:20} {spec.family:16} {params:>12,} {spec.default_size:>5}  {spec.preprocessing:13} {imagenet}")
    print(f"parameters: without a top, at the default size; imagenet: weights in {keras_cache_dir()} "
          "(cached), downloadable by Keras when online (not cached), or none (-)")
    return 0
