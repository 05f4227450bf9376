"""`storelink backfill CONNECTION --from YYYY-MM-DD`: import a connection's older orders, with
progress; run it again after an interruption and it goes on where it stopped. Imports live inside
the command so `storelink` starts fast."""

from __future__ import annotations

from typing import Annotated

import typer

from storelink_control.cli_options import TokenOption, UrlOption


def backfill(
    connection_id: Annotated[str, typer.Argument(help="The connection whose orders to import")],
    first: Annotated[
        str, typer.Option("--from", help="Import orders created on or after this day (YYYY-MM-DD)")
    ],
    pages: Annotated[int, typer.Option("--pages", min=1, max=1000, help="Shop pages per request")] = 10,
    url: UrlOption = None,
    token: TokenOption = None,
) -> None:
    """Orders go through the hub exactly like live ones (same keys: no document is made twice)."""
    from rich.console import Console

    from storelink_control.cli import DEFAULT_URL, Api
    from storelink_control.cli_progress import progress_bar

    api = Api(url or DEFAULT_URL, token)
    err = Console(stderr=True)
    out = Console()
    with progress_bar(err) as bar:
        # the shop pages by cursor and tells no total: the bar counts the pages imported so far
        pages_read = bar.add_task("importing pages", total=None)
        while True:
            answer = api.call(
                "POST",
                f"/v1/connections/{connection_id}/backfill",
                json={"from": first, "pages": pages},
                timeout=None,
            )
            for line in answer["skipped_now"]:
                bar.console.print(f"[yellow]not imported:[/yellow] {line}")
            bar.update(
                pages_read,
                completed=answer["pages"],
                description=f"importing: {answer['published']} orders, pages",
            )
            if answer["done"]:
                break
    out.print(
        f"{connection_id}: {answer['published']} orders since {first} imported ({answer['pages']} pages)"
    )
