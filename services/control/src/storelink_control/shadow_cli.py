"""`storelink shadow on|off|list`: shadow mode of a connection from a terminal.

In shadow mode orders are read and mapped and the documents are recorded as they would be sent;
nothing is written to the ERP or the shop. Imports live inside the commands so `storelink` starts
fast.
"""

from __future__ import annotations

from typing import Annotated

import typer

from storelink_control.cli_options import TokenOption, UrlOption

shadow_app = typer.Typer(
    help="Shadow mode: map orders and show the documents as they would be sent, write nothing.",
    no_args_is_help=True,
)


def _switch(connection_id: str, on: bool, url: str | None, token: str | None) -> None:
    from rich.console import Console

    from storelink_control.cli import DEFAULT_URL, Api

    answer = Api(url or DEFAULT_URL, token).call(
        "PATCH", f"/v1/connections/{connection_id}", json={"shadow": on}
    )
    state = "in shadow mode: nothing is written to the ERP or the shop" if on else "sending again"
    Console().print(f"{connection_id} (version {answer.get('version')}) is {state}")


@shadow_app.command("on")
def shadow_on(
    connection_id: Annotated[str, typer.Argument()], url: UrlOption = None, token: TokenOption = None
) -> None:
    """Enter shadow mode: documents are only recorded ('would send'), stock and prices not pushed."""
    _switch(connection_id, True, url, token)


@shadow_app.command("off")
def shadow_off(
    connection_id: Annotated[str, typer.Argument()], url: UrlOption = None, token: TokenOption = None
) -> None:
    """Leave shadow mode: what is mapped from now on is sent."""
    _switch(connection_id, False, url, token)


@shadow_app.command("list")
def shadow_list(
    connection_id: Annotated[str | None, typer.Option("--connection")] = None,
    url: UrlOption = None,
    token: TokenOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table")] = False,
) -> None:
    """The documents recorded in shadow mode, newest first, as they would have been sent."""
    import json
    import sys

    from rich.console import Console
    from rich.table import Table

    from storelink_control.cli import DEFAULT_URL, Api

    query = {"connection_id": connection_id}
    rows = Api(url or DEFAULT_URL, token).call("GET", "/v1/documents/would-send", query=query)
    if as_json:
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
        return
    table = Table(title="would send (shadow mode: nothing was sent)")
    table.add_column("order", no_wrap=True)
    table.add_column("kind", no_wrap=True)
    table.add_column("gross", justify="right", no_wrap=True)
    table.add_column("why", overflow="fold")
    for r in rows:
        table.add_row(
            r["order_number"] or r["order_external_id"],
            r["kind"],
            f"{r['gross']} {r['currency']}",
            "; ".join(r["why"]),
        )
    Console().print(table)
