"""The builders' own error type: a mistake in the files or options a user gave a builder (a missing folder, an
unknown config, a CSV without the named column), as one line naming the bad value and what was expected.

The builders import nothing from artzoo (artzoo imports them, never the reverse), so they cannot raise
`artzoo.errors.ArtzooError`; artzoo turns a `BuilderError` into one where it calls a builder
(`artzoo.data.tfds_lookup`), and its CLI prints any that gets through as `artzoo: error: ...` with exit status 2
(`artzoo.errors.as_user_error`). A `ValueError`, so plain TFDS users can catch it as one.
"""

from __future__ import annotations


class BuilderError(ValueError):
    """A user-facing builder error: the message is one line naming the bad value and what was expected."""


def choice_error(what: str, value, allowed) -> BuilderError:
    """The standard 'unknown X' error listing the allowed values (worded as `artzoo.errors.choice_error`)."""
    allowed_text = ", ".join(str(a) for a in allowed)
    return BuilderError(f"unknown {what} {value!r}; expected one of: {allowed_text}")
