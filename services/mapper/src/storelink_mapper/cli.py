"""`storelink map --settings SETTINGS.json --order ORDER.json`: preview the mapping, no Kafka."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError

from storelink_contracts import ConnectionConfigured, OrderReceived
from storelink_mapper.mapping import MappingResult, map_order


def preview(result: MappingResult) -> dict[str, Any]:
    """What the service would publish, as plain JSON."""
    return {
        "documents": [doc.model_dump(mode="json") for doc in result.documents],
        "needs_attention": result.attention,
        "skipped": result.skipped,
    }


def _load(path: Path, model: type[OrderReceived] | type[ConnectionConfigured], what: str) -> Any:
    try:
        text = path.read_text()
    except OSError as exc:
        raise typer.BadParameter(f"cannot read {what} file {path}: {exc.strerror}") from None
    try:
        return model.model_validate_json(text)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(top)'}: {err['msg']}" for err in exc.errors()
        )
        raise typer.BadParameter(f"{path} is not a valid {model.__name__}: {problems}") from None


def map_command(
    settings: Annotated[Path, typer.Option("--settings", help="ConnectionConfigured JSON")],
    order: Annotated[Path, typer.Option("--order", help="OrderReceived JSON")],
) -> None:
    """Print the documents (and any needs-attention reasons) the mapper would produce for ORDER."""
    connection: ConnectionConfigured = _load(settings, ConnectionConfigured, "settings")
    snapshot: OrderReceived = _load(order, OrderReceived, "order")
    result = map_order(snapshot, connection)
    typer.echo(json.dumps(preview(result), indent=2, ensure_ascii=False))
    if result.attention and not result.documents:
        raise typer.Exit(code=2)
