"""`storelink reconcile CONNECTION --from … --to …`: the reconciliation report in a terminal.

Control runs the report (it reads the shop, its own tables and the ERP); this command asks for it
and prints it as tables, `--json` or `--csv`. Imports live inside the command so `storelink` starts
fast.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from storelink_control.cli_options import TokenOption, UrlOption

CSV_COLUMNS = (
    "row",
    "day",
    "finding",
    "number",
    "external_id",
    "detail",
    *(f"{side}_{what}" for side in ("shop", "hub", "erp") for what in ("orders", "gross", "vat")),
)


def vat_text(vat: list[dict[str, Any]]) -> str:
    """[{rate: "22", amount: "5.30"}] → "22 %: 5.30" (rates joined with "; ")."""
    return "; ".join(f"{v['rate']} %: {v['amount']}" for v in vat)


def csv_rows(report: dict[str, Any]) -> list[dict[str, str]]:
    """One row per day (the three sides' figures), then one row per finding."""
    rows: list[dict[str, str]] = []
    for day in report["days"]:
        row = {"row": "day", "day": str(day["day"])}
        for side in ("shop", "hub", "erp"):
            column = day[side]
            row |= {
                f"{side}_orders": str(column["orders"]),
                f"{side}_gross": str(column["gross"]),
                f"{side}_vat": vat_text(column["vat"]),
            }
        rows.append(row)
    for problem in report["problems"]:
        rows.append(
            {
                "row": "problem",
                "day": str(problem["day"] or ""),
                "finding": problem["finding"],
                "number": problem["number"],
                "external_id": problem["external_id"] or "",
                "detail": problem["detail"],
            }
        )
    return rows


def reconcile(
    connection_id: Annotated[str, typer.Argument(help="The connection to reconcile")],
    first: Annotated[str, typer.Option("--from", help="First day, YYYY-MM-DD (included)")],
    last: Annotated[str, typer.Option("--to", help="Last day, YYYY-MM-DD (included)")],
    url: UrlOption = None,
    token: TokenOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON")] = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="Print day rows and finding rows as CSV")] = False,
    attention: Annotated[
        bool,
        typer.Option("--attention", help="Also make each order with a difference a needs-attention item"),
    ] = False,
) -> None:
    """Shop, hub and ERP side by side per day, and every order missing, duplicated, different,
    failed or waiting. Exits 3 when something differs, so a scheduler can alert."""
    import csv
    import json
    import sys

    from rich.console import Console
    from rich.table import Table

    from storelink_control.cli import DEFAULT_URL, Api

    err = Console(stderr=True)
    api = Api(url or DEFAULT_URL, token)
    with err.status("reading the shop, the hub and the ERP…"):
        report = api.call(
            "POST" if attention else "GET",
            f"/v1/connections/{connection_id}/reconciliation" + ("/attention" if attention else ""),
            query={"from": first, "to": last},
            timeout=None,
        )
    if as_json:
        sys.stdout.write(json.dumps(report, indent=2) + "\n")
    elif as_csv:
        writer = csv.DictWriter(sys.stdout, fieldnames=CSV_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(csv_rows(report))
    else:
        out = Console()
        table = Table(title=f"{connection_id}: {report['first_day']} – {report['last_day']}")
        table.add_column("day", no_wrap=True)
        for side in ("shop", "hub", "ERP"):
            table.add_column(f"{side} orders", justify="right", no_wrap=True)
            table.add_column(f"{side} gross", justify="right", no_wrap=True)
            table.add_column(f"{side} VAT", overflow="fold")
        shown = [*report["days"], *([{**report["totals"], "day": "total"}] if report["totals"] else [])]
        for day in shown:
            cells = [str(day["day"])]
            for side in ("shop", "hub", "erp"):
                column = day[side]
                cells += [str(column["orders"]), str(column["gross"]), vat_text(column["vat"])]
            table.add_row(*cells)
        out.print(table)
        if report["problems"]:
            found = Table(title=f"{len(report['problems'])} differences")
            found.add_column("finding", no_wrap=True)
            found.add_column("order", no_wrap=True)
            found.add_column("day", no_wrap=True)
            found.add_column("detail", overflow="fold")
            for p in report["problems"]:
                found.add_row(p["finding"], p["number"], str(p["day"] or ""), p["detail"])
            out.print(found)
        else:
            out.print("No differences: the shop, the hub and the ERP agree.")
        for line in report["shop_unreadable"]:
            err.print(f"[yellow]shop order not readable:[/yellow] {line}")
    if report["problems"]:
        raise typer.Exit(3)
