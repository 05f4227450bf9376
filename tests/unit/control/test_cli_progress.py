"""The CLI's progress bar: whole on one line in a 30-column terminal, silent when not a terminal (so
`--json`/`--csv` and logs stay clean)."""

from __future__ import annotations

import io
import re

from rich.console import Console

from storelink_control.cli_progress import progress_bar

ESCAPES = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def test_the_bar_fits_a_30_column_terminal_and_counts_done_of_total() -> None:
    screen = io.StringIO()
    err = Console(file=screen, force_terminal=True, width=30, color_system=None)
    bar = progress_bar(err)
    bar.live.transient = False  # keep the last frame on the screen to read it
    with bar:
        task = bar.add_task("sending orders through the hub", total=3)
        for _ in range(3):
            bar.advance(task)
    frames = [ESCAPES.sub("", line).split("\r")[-1] for line in screen.getvalue().splitlines()]
    shown = [f for f in frames if f.strip()]
    assert shown, screen.getvalue()
    assert shown[-1].endswith("3/3"), shown
    assert shown[-1].startswith("sending"), shown
    assert all(len(f) <= 30 for f in shown), shown


def test_the_bar_writes_nothing_when_not_a_terminal() -> None:
    piped = io.StringIO()
    err = Console(file=piped, force_terminal=False, width=30)
    with progress_bar(err) as bar:
        task = bar.add_task("importing pages", total=None)
        bar.update(task, completed=5)
    assert piped.getvalue() == ""
