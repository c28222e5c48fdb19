"""One module per `artzoo` subcommand; each defines `register(subparsers)`."""
