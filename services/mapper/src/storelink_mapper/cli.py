"""`storelink map --settings SETTINGS.json --order ORDER.json`: preview the mapping, no Kafka.

The contracts and the mapping are imported when the command runs, so `storelink --help` stays fast.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from storelink_contracts import ConnectionConfigured, OrderReceived
    from storelink_mapper.mapping import MappingResult


def preview(result: MappingResult) -> dict[str, Any]:
    """What the service would publish, as plain JSON."""
    return {
        "documents": [doc.model_dump(mode="json") for doc in result.documents],
        "needs_attention": result.attention,
        "skipped": result.skipped,
    }


SHOWN_ONLY = ("webhook_url", "webhook_rotated_at", "created_at", "credentials")
"""Fields of `storelink connections show --json` that the ConnectionConfigured event does not have."""


def settings_from_show(data: dict[str, Any]) -> dict[str, Any]:
    """`storelink connections show --json` (a connection with its tenant's company) → the
    ConnectionConfigured the services would receive; credentials are not needed to map an order."""
    if "company" not in data:
        raise typer.BadParameter(
            "the connection has no company profile: use `storelink connections show ID --json` "
            "(it adds the tenant's company) or the ConnectionConfigured event"
        )
    out = {k: v for k, v in data.items() if k not in SHOWN_ONLY}
    company = {k: v for k, v in data["company"].items() if k != "erp_credentials"}
    out["company"] = company
    out["credentials_encrypted"] = "(not needed for a preview)"
    return out


def _load(path: Path, model: type[OrderReceived] | type[ConnectionConfigured], what: str) -> Any:
    from pydantic import ValidationError

    from storelink_contracts import ConnectionConfigured

    try:
        text = path.read_text()
    except OSError as exc:
        raise typer.BadParameter(f"cannot read {what} file {path}: {exc.strerror}") from None
    if model is ConnectionConfigured:
        try:
            data = json.loads(text)
        except ValueError:
            data = None
        if isinstance(data, dict) and "webhook_url" in data and "credentials_encrypted" not in data:
            text = json.dumps(settings_from_show(data))
    try:
        return model.model_validate_json(text)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(top)'}: {err['msg']}" for err in exc.errors()
        )
        raise typer.BadParameter(f"{path} is not a valid {model.__name__}: {problems}") from None


def map_command(
    settings: Annotated[
        Path,
        typer.Option(
            "--settings",
            help="`storelink connections show ID --json` output, or a ConnectionConfigured event",
        ),
    ],
    order: Annotated[Path, typer.Option("--order", help="OrderReceived JSON")],
) -> None:
    """Print the documents (and any needs-attention reasons) the mapper would produce for ORDER."""
    from storelink_contracts import ConnectionConfigured, OrderReceived
    from storelink_mapper.mapping import map_order

    connection: ConnectionConfigured = _load(settings, ConnectionConfigured, "settings")
    snapshot: OrderReceived = _load(order, OrderReceived, "order")
    result = map_order(snapshot, connection)
    typer.echo(json.dumps(preview(result), indent=2, ensure_ascii=False))
    if result.attention and not result.documents:
        raise typer.Exit(code=2)
