"""`artzoo datasets list | build NAME [--manual-dir DIR] | info NAME [--json]`."""

from __future__ import annotations

from artzoo.errors import ArtzooError


def register(sub) -> None:
    p = sub.add_parser("datasets", help="list, build or describe TFDS datasets",
                       description="list: the builders; build: prepare a dataset (validated, quarantine listed); "
                                   "info: counts per split and class, and what was quarantined")
    p.add_argument("action", choices=["list", "build", "info"])
    p.add_argument("name", nargs="?")
    p.add_argument("--manual-dir", help="the collection's files (art_folder: a class-folder tree or a CSV file)")
    p.add_argument("--tfds-dir", help="where prepared datasets live (default $TFDS_DATA_DIR or ~/tensorflow_datasets)")
    p.add_argument("--config", dest="builder_config", help="builder config name (art_folder: the name to build under)")
    p.add_argument("--label-columns", help="art_folder from a CSV: comma-separated label columns (default: all)")
    p.add_argument("--imbalance-warning", type=float, default=0.5, metavar="SHARE",
                   help="warn when one class holds more than this share of a split (default 0.5)")
    p.add_argument("--json", action="store_true", help="list, info: JSON instead of text")
    p.set_defaults(func=run)


def run(args) -> int:
    from artzoo.cli import print_json
    from artzoo.datasets_info import build_dataset, dataset_info, dataset_record, dataset_records, list_datasets

    if args.action == "list":
        if args.json:
            print_json(dataset_records(args.tfds_dir))
        else:
            print("\n".join(list_datasets(args.tfds_dir)))
        return 0
    if not args.name:
        raise ArtzooError(f"`artzoo datasets {args.action}` needs a dataset name; see `artzoo datasets list`")
    if args.action == "build":
        columns = [c.strip() for c in args.label_columns.split(",") if c.strip()] if args.label_columns else None
        print(build_dataset(args.name, args.manual_dir, args.tfds_dir, args.builder_config, columns,
                            args.imbalance_warning))
    elif args.json:
        print_json(dataset_record(args.name, args.manual_dir, args.tfds_dir, args.builder_config,
                                  args.imbalance_warning))
    else:
        print(dataset_info(args.name, args.manual_dir, args.tfds_dir, args.builder_config, args.imbalance_warning))
    return 0
