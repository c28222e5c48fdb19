"""`artzoo` command line: parses arguments and calls the library (`artzoo.api` and below); nothing else.

Each subcommand lives in `artzoo/commands/<name>.py` with `register(subparsers)`, which adds its parser and
sets `func` (a function of the parsed args returning an exit status). Modules are discovered, so adding a
command is adding a file. Errors a user can cause, OS errors on a path included (`artzoo.errors.as_user_error`),
print one line (`artzoo: error: ...`) and exit with status 2 (1 where partial work was saved), no traceback.

Every command takes `--quiet` (no progress bars) and `--verbose` (TensorFlow's start-up and C++ log lines,
hidden by default: `artzoo.quiet`), before or after the command name; `artzoo --version` prints the version.
"""

from __future__ import annotations

import argparse
import importlib
import json
import pkgutil
import sys

from artzoo import __version__
from artzoo.errors import as_user_error


def _output_options(parser: argparse.ArgumentParser, default) -> None:
    parser.add_argument("--quiet", action="store_true", default=default, help="no progress bars")
    parser.add_argument("--verbose", action="store_true", default=default,
                        help="show TensorFlow's start-up and log lines (hidden by default)")


def build_parser() -> argparse.ArgumentParser:
    from artzoo import commands

    parser = argparse.ArgumentParser(prog="artzoo", description="A model zoo for artwork images.")
    parser.add_argument("--version", action="version", version=f"artzoo {__version__}")
    _output_options(parser, False)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        importlib.import_module(f"artzoo.commands.{info.name}").register(sub)
    for command in sub.choices.values():
        _output_options(command, argparse.SUPPRESS)  # given after the command: overrides the main parser's
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from artzoo import progress_bars, quiet

    if args.verbose:
        quiet.verbose_startup()
    else:
        quiet.quiet_startup()
    progress_bars.set_enabled(not args.quiet)
    try:
        return args.func(args) or 0
    except Exception as err:  # noqa: BLE001 - user errors (bad input, OS errors on a path) get one line
        user = as_user_error(err)
        if user is None:
            raise
        print(f"artzoo: error: {user}", file=sys.stderr)
        return user.exit_code
    except KeyboardInterrupt:
        print("artzoo: interrupted", file=sys.stderr)
        return 130


def print_json(obj) -> None:
    """`--json` output: one JSON document on stdout (NumPy scalars and arrays as plain numbers and lists)."""
    print(json.dumps(obj, indent=1, default=_plain))


def _plain(value):
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


if __name__ == "__main__":
    sys.exit(main())
