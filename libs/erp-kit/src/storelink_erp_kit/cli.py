"""`storelink render` and `storelink erp-test-connection` (registered through entry points).

The adapters (HTTP clients, the Kafka kit) are imported when a command runs: `--help` stays fast.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from storelink_contracts import ErpSystem

if TYPE_CHECKING:
    from storelink_contracts import DocumentRequested


def _load_json(path: Path, what: str) -> Any:
    try:
        return json.loads(path.read_text())
    except OSError as exc:
        raise typer.BadParameter(f"cannot read {what} {path}: {exc.strerror}") from None
    except ValueError as exc:
        raise typer.BadParameter(f"{what} {path} is not JSON: {exc}") from None


def render_request(
    erp: ErpSystem,
    doc: DocumentRequested,
    credentials: dict[str, Any] | None = None,
    related_number: str | None = None,
) -> dict[str, Any]:
    """The exact request the adapter would send for `doc` (same builder as the service; secrets masked)."""
    from storelink_erp_kit.adapters import adapter_for
    from storelink_erp_kit.client import ErpDocumentRef

    spec = adapter_for(erp)
    client = spec.make_client(credentials or spec.placeholder_credentials, url=None, timeout=30.0)
    related = ErpDocumentRef(erp_id="?", number=related_number) if related_number else None
    render = getattr(client, "render")  # noqa: B009 - every adapter's client has it
    result: dict[str, Any] = render(doc, related)
    return result


def render(
    erp: Annotated[ErpSystem, typer.Argument(help="metakocka or eracuni")],
    document: Annotated[Path, typer.Argument(help="A DocumentRequested as JSON")],
    credentials: Annotated[
        Path | None, typer.Option(help="ERP credentials JSON (company id etc.); secrets are masked")
    ] = None,
    related_number: Annotated[
        str | None, typer.Option(help="For a credit note: the number of the invoice it credits")
    ] = None,
) -> None:
    """Print the exact API request the ERP adapter would send for a DocumentRequested."""
    from pydantic import ValidationError

    from storelink_contracts import DocumentRequested
    from storelink_erp_kit.errors import ErpError

    try:
        doc = DocumentRequested.model_validate(_load_json(document, "document"))
    except ValidationError as exc:
        typer.echo(f"{document} is not a valid DocumentRequested:\n{exc}", err=True)
        raise typer.Exit(2) from None
    creds = _load_json(credentials, "credentials") if credentials else None
    try:
        request = render_request(erp, doc, creds, related_number)
    except ErpError as exc:
        typer.echo(f"the adapter would not send this document: {exc.reason}", err=True)
        raise typer.Exit(1) from None
    typer.echo(json.dumps(request, indent=2, ensure_ascii=False))


def erp_test_connection(
    erp: Annotated[ErpSystem, typer.Argument(help="metakocka or eracuni")],
    credentials: Annotated[Path, typer.Argument(help="ERP credentials JSON file")],
    url: Annotated[str | None, typer.Option(help="API base URL (default: the ERP's production URL)")] = None,
    timeout: Annotated[float, typer.Option(help="Seconds per call")] = 15.0,
) -> None:
    """Test ERP credentials: one clear verdict (exit 0 only when the connection works)."""
    from storelink_erp_kit.adapters import check_erp_connection

    creds = _load_json(credentials, "credentials")
    verdict = asyncio.run(check_erp_connection(erp, creds, url=url, timeout=timeout))
    typer.echo(
        json.dumps(
            {
                "erp": erp.value,
                "ok": verdict.ok,
                "verdict": verdict.verdict.value,
                "message": verdict.message,
            },
            ensure_ascii=False,
        )
    )
    raise typer.Exit(0 if verdict.ok else 1)
