"""The one exception type for errors a user can cause and fix."""

from __future__ import annotations


class UserError(Exception):
    """Bad input, configuration or usage. The CLI prints it as one line on stderr and exits 2;
    whoever raises it must not have changed the state yet."""

    exit_code = 2

    def format_message(self) -> str:
        return one_line(str(self))


def one_line(text: str) -> str:
    """Collapse whitespace so an error stays on one line."""
    return " ".join(str(text).split())
