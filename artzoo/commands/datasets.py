"""`artzoo datasets list | build NAME | info NAME`."""

from __future__ import annotations

from artzoo.errors import ArtzooError


def register(sub) -> None:
    p = sub.add_parser("datasets", help="list, build or describe TFDS datasets")
    p.add_argument("action", choices=["list", "build", "info"])
    p.add_argument("name", nargs="?")
    p.add_argument("--manual-dir")
    p.add_argument("--tfds-dir")
    p.add_argument("--config", dest="builder_config", help="builder config name")
    p.set_defaults(func=run)


def run(args) -> int:
    from artzoo.datasets_info import build_dataset, dataset_info, list_datasets

    if args.action == "list":
        for name in list_datasets():
            print(name)
        return 0
    if not args.name:
        raise ArtzooError(f"`artzoo datasets {args.action}` needs a dataset name; see `artzoo datasets list`")
    if args.action == "build":
        print(build_dataset(args.name, args.manual_dir, args.tfds_dir, args.builder_config))
    else:
        print(dataset_info(args.name, args.manual_dir, args.tfds_dir, args.builder_config))
    return 0
