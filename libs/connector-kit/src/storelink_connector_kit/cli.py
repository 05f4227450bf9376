"""`storelink test-connection` and `storelink normalize`: the same code paths as the services."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from storelink_connector_kit.platform import OrderContext, ShopPlatform

err = Console(stderr=True)


def load_platform(name: str) -> ShopPlatform:
    """The installed platform called `name` (entry point group storelink.platforms)."""
    from storelink_connector_kit.plugin import UnknownPlatform, shop_plugin

    try:
        return shop_plugin(name).load_runtime()
    except UnknownPlatform as exc:
        raise typer.BadParameter(str(exc)) from None


def _read_json(path: Path) -> Any:
    """Numbers with a fraction become Decimal, exactly as written (12.30 stays 12.30): money."""
    try:
        return json.loads(path.read_text(), parse_float=Decimal)
    except FileNotFoundError:
        raise typer.BadParameter(f"{path} does not exist") from None
    except ValueError as exc:
        raise typer.BadParameter(f"{path} is not valid JSON: {exc}") from None


def test_connection_command(
    settings: Annotated[
        Path,
        typer.Option(
            "--settings",
            help='JSON: {"platform": "wix", "credentials": {...}, "base_url": optional API override}',
        ),
    ],
) -> None:
    """Try a shop's credentials and print one verdict (exit 0 only when it is ok)."""
    data = _read_json(settings)
    if not isinstance(data, dict) or "platform" not in data or not isinstance(data.get("credentials"), dict):
        raise typer.BadParameter('settings need "platform" and a "credentials" object')
    platform = load_platform(str(data["platform"]))
    from storelink_connector_kit.testing_connection import check_connection  # HTTP: only when run

    verdict = asyncio.run(check_connection(platform, data["credentials"], base_url=data.get("base_url")))
    colour = "green" if verdict.ok else "red"
    Console().print(f"[{colour}]{verdict.verdict.value}[/{colour}]: {verdict.message}")
    if not verdict.ok:
        raise typer.Exit(1)


def normalize_command(
    platform: Annotated[str, typer.Argument(help="wix, shopamine, ...")],
    order: Annotated[Path, typer.Argument(help="The shop's order JSON (as its API returns it)")],
    tenant: Annotated[str, typer.Option(help="tenant id to put in the event")] = "cli",
    connection: Annotated[str, typer.Option(help="connection id to put in the event")] = "cli",
) -> None:
    """Print the canonical OrderReceived for a shop order JSON (the service's own mapping)."""
    module = load_platform(platform)
    raw = _read_json(order)
    if isinstance(raw, dict) and "order" in raw and isinstance(raw["order"], dict):
        raw = raw["order"]
    if not isinstance(raw, dict):
        raise typer.BadParameter("the order file must hold a JSON object")
    from storelink_connector_kit.platform import MappingProblem

    try:
        event = module.map_order(raw, OrderContext(tenant_id=tenant, connection_id=connection))
    except MappingProblem as exc:
        err.print(f"[red]cannot map this order:[/red] {exc}")
        raise typer.Exit(2) from None
    if event is None:
        err.print("this order is not imported (e.g. an unpaid checkout that was never approved)")
        raise typer.Exit(3)
    typer.echo(json.dumps(json.loads(event.model_dump_json()), indent=2, ensure_ascii=False))
