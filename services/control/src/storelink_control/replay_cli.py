"""`storelink replay CONNECTION ORDER_ID [--apply]` or `storelink replay CONNECTION --from … --to …
[--apply [--yes]]`: what re-running one order, or the orders of some days, would change; sent only
on --apply. Imports live inside the command so `storelink` starts fast."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from storelink_control.cli_options import TokenOption, UrlOption

if TYPE_CHECKING:
    from rich.console import Console

    from storelink_control.cli import Api


def order_path(connection_id: str, external_id: str) -> str:
    return f"/v1/connections/{connection_id}/orders/{external_id}/replay"


def range_lines(answer: dict[str, Any]) -> list[str]:
    """One line per order a replay would change (its changes joined), then the counts."""
    lines = [f"{o['number']} ({o['external_id']}): " + "; ".join(o["changes"]) for o in answer["orders"]]
    lines.append(f"{len(answer['orders'])} would change, {answer['unchanged']} unchanged")
    if answer["not_in_shop"]:
        lines.append("not in the shop any more (not replayable): " + ", ".join(answer["not_in_shop"]))
    if answer["truncated"]:
        lines.append("more orders would change than listed: narrow the range")
    return lines


def apply_each(api: Api, connection_id: str, answer: dict[str, Any], err: Console) -> list[str]:
    """Each listed order through the single-order apply path (it re-reads and re-diffs the order,
    then publishes its snapshot). Nothing is created twice: the mapper derives the same idempotency
    keys from the order, and the ERP adapter's ledger holds every document already created."""
    from storelink_control.cli_progress import progress_bar

    applied: list[str] = []
    with progress_bar(err) as bar:
        sending = bar.add_task("sending through the hub", total=len(answer["orders"]))
        for order in answer["orders"]:
            path = order_path(connection_id, order["external_id"])
            api.call("POST", path, json={"confirm": True}, timeout=None)
            applied.append(order["external_id"])
            bar.advance(sending)
    return applied


def replay(
    connection_id: Annotated[str, typer.Argument(help="The order's connection")],
    external_id: Annotated[
        str | None, typer.Argument(help="The shop's order id (or --from/--to for a range of days)")
    ] = None,
    first: Annotated[
        str | None, typer.Option("--from", help="Orders of the hub created on or after this day (YYYY-MM-DD)")
    ] = None,
    last: Annotated[str | None, typer.Option("--to", help="… and up to this day (included)")] = None,
    apply: Annotated[bool, typer.Option("--apply", help="Send the order(s) through the hub again")] = False,
    yes: Annotated[bool, typer.Option("--yes", help="With a range and --apply: do not ask")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="With a range: print the answer as JSON")] = False,
    url: UrlOption = None,
    token: TokenOption = None,
) -> None:
    """Re-read the order(s) from the shop; show what a replay changes against the hub and the ERP."""
    from storelink_control.cli import DEFAULT_URL, Api

    api = Api(url or DEFAULT_URL, token)
    if external_id is None:
        if first is None or last is None:
            raise typer.BadParameter("give an ORDER_ID, or --from and --to for a range of days")
        replay_range(api, connection_id, first, last, apply=apply, yes=yes, as_json=as_json)
        return
    if first is not None or last is not None:
        raise typer.BadParameter("give either an ORDER_ID or --from/--to, not both")
    replay_one(api, connection_id, external_id, apply=apply)


def replay_one(api: Api, connection_id: str, external_id: str, *, apply: bool) -> None:
    from rich.console import Console

    path = order_path(connection_id, external_id)
    diff = api.call("POST", path, json={"confirm": True}, timeout=None) if apply else api.call("GET", path)
    out = Console()
    out.print(f"order {diff['number']}: shop {diff['shop_gross']}, hub {diff['hub_gross'] or '-'}")
    for doc in diff["erp"]:
        out.print(f"  ERP {doc['kind']} {doc['number'] or ''}: {doc['gross']}")
    for change in diff["changes"] or ["a replay changes nothing"]:
        out.print(f"- {change}")
    if diff["applied"]:
        out.print("sent through the hub again")
    elif diff["changes"]:
        out.print("nothing sent: run again with --apply to replay it")


def replay_range(
    api: Api, connection_id: str, first: str, last: str, *, apply: bool, yes: bool, as_json: bool
) -> None:
    """List the range's orders a replay would change; with --apply, send them after confirmation
    (--yes, or the answer to a prompt on stderr, so --json stays clean)."""
    import json
    import sys

    from rich.console import Console

    err = Console(stderr=True)
    with err.status("reading the shop, the hub and the ERP…"):
        answer = api.call(
            "GET", f"/v1/connections/{connection_id}/replay", query={"from": first, "to": last}, timeout=None
        )
    if not as_json:
        for line in range_lines(answer):
            sys.stdout.write(line + "\n")
    applied: list[str] = []
    if apply and answer["orders"]:
        asked = f"send {len(answer['orders'])} order(s) through the hub again?"
        if not yes and not typer.confirm(asked, default=False, err=True):
            err.print("nothing sent")
        else:
            applied = apply_each(api, connection_id, answer, err)
            if not as_json:
                sys.stdout.write(f"{len(applied)} sent through the hub again\n")
    elif answer["orders"] and not as_json:
        sys.stdout.write("nothing sent: run again with --apply to replay them\n")
    if as_json:
        sys.stdout.write(json.dumps({**answer, "applied": applied}, indent=2) + "\n")
