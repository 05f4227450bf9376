"""The CLI's progress bar (issue 16): on stderr and only on a terminal, so `--json`/`--csv` output on
stdout and a piped or logged run stay clean; its columns share the width there is (the description is
cut with an ellipsis), so a 30-column terminal shows it on one line."""

from __future__ import annotations

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Column


def progress_bar(err: Console) -> Progress:
    """A bar of done/total (total None: a pulsing bar, done/?) for the console `err` (stderr)."""
    return Progress(
        TextColumn("{task.description}", table_column=Column(no_wrap=True, overflow="ellipsis", ratio=1)),
        BarColumn(bar_width=None, table_column=Column(ratio=1)),
        MofNCompleteColumn(),
        console=err,
        expand=True,
        transient=True,
        disable=not err.is_terminal,
    )
