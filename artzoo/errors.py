"""The one exception type for mistakes a user can make (bad config, missing data, unknown name)."""


class ArtzooError(Exception):
    """A user-facing error: the message is one line naming the bad value and what was expected.

    The CLI prints it without a traceback and exits with status 2.
    """

    exit_code = 2


def choice_error(what: str, value, allowed) -> ArtzooError:
    """Builds the standard 'unknown X' error listing the allowed values."""
    allowed_text = ", ".join(str(a) for a in allowed)
    return ArtzooError(f"unknown {what} {value!r}; expected one of: {allowed_text}")
