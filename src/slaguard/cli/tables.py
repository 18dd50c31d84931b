"""Printing a rich table whole.

Rich fits a table to the console by cutting cells short with an ellipsis, and a console
that is not a terminal (a pipe, a file, a CI log) is taken to be 80 columns wide: a
report piped to a file would lose the ends of its headers and reasons. Here a table
sent anywhere but a terminal is printed at its natural width, and on a terminal too
narrow for it its cells wrap rather than being cut.
"""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

__all__ = ["print_table"]

_UNBOUNDED = 100_000  # columns: wider than any table


def print_table(table: Table, console: Console | None = None) -> None:
    console = console or Console()
    for column in table.columns:
        column.overflow = "fold"
    if not console.is_terminal:
        unbounded = console.options.update_width(_UNBOUNDED)
        console.width = max(console.width, console.measure(table, options=unbounded).maximum)
    console.print(table)
