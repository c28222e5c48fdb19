"""`artzoo` command line: parses arguments and calls library functions; nothing else.

Each subcommand lives in `artzoo/commands/<name>.py` with `register(subparsers)`, which adds its parser and
sets `func` (a function of the parsed args returning an exit status). Modules are discovered, so adding a
command is adding a file. Errors a user can cause, OS errors on a path included (`artzoo.errors.as_user_error`),
print one line (`artzoo: error: ...`) and exit with status 2 (1 where partial work was saved), no traceback.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys

from artzoo.errors import as_user_error


def build_parser() -> argparse.ArgumentParser:
    from artzoo import commands

    parser = argparse.ArgumentParser(prog="artzoo", description="A model zoo for artwork images.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        importlib.import_module(f"artzoo.commands.{info.name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    args = build_parser().parse_args(argv)
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


if __name__ == "__main__":
    sys.exit(main())
