"""`artzoo compare RUN_DIR...`: one table of the runs' headline metrics, parameters and training time."""

from __future__ import annotations


def register(sub) -> None:
    p = sub.add_parser("compare", help="one table of several runs' headline metrics, parameters and training time")
    p.add_argument("run_dirs", nargs="+", metavar="RUN_DIR")
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--markdown", action="store_true", help="a Markdown table")
    fmt.add_argument("--csv", action="store_true", help="CSV")
    p.set_defaults(func=run)


def run(args) -> int:
    from artzoo.reporting.compare import compare_runs, format_table

    header, rows = compare_runs(args.run_dirs)
    style = "markdown" if args.markdown else "csv" if args.csv else "text"
    print(format_table(header, rows, style), end="")
    return 0
