"""`storelink tenants|connections|status|dlq|attention|control`: the control API from a terminal.

Every command talks to a running control service over HTTP: `--url` / STORELINK_CONTROL_URL and
`--token` / STORELINK_CONTROL_TOKEN. Secrets given as options are sent once and never printed.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.table import Table

from storelink_control.defaults import DEFAULT_PORT

if TYPE_CHECKING:
    import httpx  # imported when a command calls the API: `--help` stays fast

console = Console()
err = Console(stderr=True)

Url = Annotated[
    str,
    typer.Option("--url", envvar="STORELINK_CONTROL_URL", help="Control API address", show_default=True),
]
Token = Annotated[
    str | None,
    typer.Option(
        "--token", envvar="STORELINK_CONTROL_TOKEN", help="API token (tenant or operator)", show_default=False
    ),
]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table")]
DEFAULT_URL = f"http://127.0.0.1:{DEFAULT_PORT}"
"""Where a control service started with its defaults listens."""


class Api:
    def __init__(self, url: str, token: str | None) -> None:
        import httpx

        if not token:
            _fail("no API token: pass --token or set STORELINK_CONTROL_TOKEN")
        self.client = httpx.Client(
            base_url=url.rstrip("/"), headers={"Authorization": f"Bearer {token}"}, timeout=60.0
        )

    def call(self, method: str, path: str, *, query: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        """`query`: the filters given (an option left out, None or "", is not sent)."""
        import httpx

        params = {k: v for k, v in (query or {}).items() if v not in (None, "")}
        try:
            response = self.client.request(method, path, params=params, **kwargs)
        except httpx.TransportError as exc:
            _fail(f"cannot reach the control API at {self.client.base_url}: {type(exc).__name__}")
        if response.status_code >= 400:
            _explain(response)
        return response.json()


def _document_detail(r: dict[str, Any]) -> str:
    """The ERP's number of a created document, or why it failed."""
    if r["state"] == "created":
        return str(r["erp_number"] or r["erp_document_id"] or "")
    return str(r["reason"] or "")


NARROW_TERMINAL = 60
"""Below this many columns lists are printed as plain lines, never as tables that cut or interleave."""


def _fail(message: str) -> NoReturn:
    err.print(f"[red]error:[/red] {message}")
    raise typer.Exit(1)


def _explain(response: httpx.Response) -> NoReturn:
    try:
        body = response.json()
    except ValueError:
        body = {"detail": response.text}
    errors = body.get("errors") if isinstance(body, dict) else None
    if errors:
        title = f"{response.status_code}: the request was refused"
        if err.width < NARROW_TERMINAL:  # a two-column table would interleave the sentences' words
            err.print(title, markup=False, highlight=False)
            for item in errors:
                err.print(f"- {item.get('field')}: {item.get('problem')}", markup=False, highlight=False)
            raise typer.Exit(1)
        table = Table("field", "problem", title=title)
        for item in errors:
            table.add_row(str(item.get("field")), str(item.get("problem")))
        err.print(table)
        raise typer.Exit(1)
    detail = body.get("detail") if isinstance(body, dict) else body
    _fail(f"{response.status_code}: {detail}")


def _pairs(items: list[str] | None, what: str, *, as_json: bool = True) -> dict[str, Any]:
    """`key=value` options; values are parsed as JSON when they can be (true, 60, [..]), unless
    `as_json` is false (credentials are text as typed: `0012` stays `0012`)."""
    out: dict[str, Any] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            _fail(f"{what} {item!r} must look like key=value")
        try:
            out[key.strip()] = json.loads(value) if as_json else value
        except ValueError:
            out[key.strip()] = value
    return out


def _credentials(items: list[str] | None, what: str) -> dict[str, str]:
    """Credentials are text as typed (`0012` stays `0012`, `true` stays `true`)."""
    return {key: str(value) for key, value in _pairs(items, what, as_json=False).items()}


def _test(api: Api, path: str, asking: str) -> None:
    """Run a connection test and say its verdict; exit 2 unless it passed (or cannot be tested)."""
    with console.status(asking):
        result = api.call("POST", path)
    console.print(verdict_line(result["verdict"], result["message"]), soft_wrap=True)
    if result["verdict"] not in ("ok", "unsupported"):
        raise typer.Exit(2)


def _replay(api: Api, *, one: str | None, every: str | None, filters: dict[str, Any], missing: str) -> None:
    """Replay one item (its path), or `every` one matching `filters`; say what was done."""
    if one is not None:
        result = api.call("POST", one)
    elif every is not None:
        with console.status("replaying…"):
            result = api.call("POST", every, json=filters)
    else:
        _fail(missing)
    console.print(result["message"])


def _print_json(data: Any) -> None:
    console.print_json(json.dumps(data, default=str))


def _print_rows(
    rows: list[dict[str, Any]],
    as_json: bool,
    title: str,
    columns: Sequence[str],
    cells: Callable[[dict[str, Any]], Sequence[str]],
) -> None:
    """A listing as JSON (`--json`), or as a table with one row of `cells` per item."""
    if as_json:
        _print_json(rows)
        return
    table = Table(*columns, title=title)
    for row in rows:
        table.add_row(*cells(row))
    console.print(table)


def _kv_table(title: str, data: dict[str, Any]) -> Table:
    table = Table("setting", "value", title=title, show_header=False)
    for key, value in data.items():
        table.add_row(key, value if isinstance(value, str) else json.dumps(value, default=str))
    return table


# --------------------------------------------------------------------------- tenants

tenants_app = typer.Typer(
    help="Tenants: a company, its VAT and fiscal settings and its ERP.", no_args_is_help=True
)


@tenants_app.command("list")
def tenants_list(url: Url = DEFAULT_URL, token: Token = None, as_json: AsJson = False) -> None:
    """List the tenants this token may see."""
    _print_rows(
        Api(url, token).call("GET", "/v1/tenants"),
        as_json,
        "tenants",
        ("tenant", "company", "country", "VAT id", "OSS", "fiscal", "ERP"),
        lambda t: (
            t["tenant_id"],
            t["company"]["name"],
            t["company"]["country"],
            t["company"]["vat_id"] or "",
            "yes" if t["company"]["oss_registered"] else "",
            "yes" if t["company"]["fiscal_verification"] else "",
            t["company"]["erp"],
        ),
    )


@tenants_app.command("show")
def tenants_show(
    tenant_id: str, url: Url = DEFAULT_URL, token: Token = None, as_json: AsJson = False
) -> None:
    """One tenant's company profile (ERP secrets masked)."""
    tenant = Api(url, token).call("GET", f"/v1/tenants/{tenant_id}")
    if as_json:
        _print_json(tenant)
        return
    console.print(_kv_table(f"tenant {tenant_id}", tenant["company"]))


@tenants_app.command("add")
def tenants_add(
    tenant_id: str,
    name: Annotated[str, typer.Option(help="Company name")],
    erp: Annotated[str, typer.Option(help="The ERP: an installed adapter's name")],
    country: Annotated[str, typer.Option(help="Two-letter country code")] = "SI",
    vat_id: Annotated[str | None, typer.Option(help="VAT id with country prefix")] = None,
    oss: Annotated[bool, typer.Option("--oss/--no-oss", help="Registered for OSS")] = False,
    fiscal: Annotated[bool, typer.Option("--fiscal/--no-fiscal", help="Fiscally verify invoices")] = False,
    erp_credential: Annotated[
        list[str] | None, typer.Option(help="ERP credential key=value, e.g. company_id=16 (repeat)")
    ] = None,
    url: Url = DEFAULT_URL,
    token: Token = None,
) -> None:
    """Add a tenant (needs an operator token)."""
    company: dict[str, Any] = {
        "name": name,
        "erp": erp,
        "country": country,
        "vat_id": vat_id,
        "oss_registered": oss,
        "fiscal_verification": fiscal,
    }
    creds = _credentials(erp_credential, "--erp-credential")
    if creds:
        company["erp_credentials"] = creds
    tenant = Api(url, token).call("POST", "/v1/tenants", json={"tenant_id": tenant_id, "company": company})
    console.print(f"[green]tenant {tenant['tenant_id']} added[/green]")


@tenants_app.command("edit")
def tenants_edit(
    tenant_id: str,
    name: Annotated[str | None, typer.Option(help="Company name")] = None,
    erp: Annotated[str | None, typer.Option(help="The ERP: an installed adapter's name")] = None,
    country: Annotated[str | None, typer.Option(help="Two-letter country code")] = None,
    vat_id: Annotated[str | None, typer.Option(help="VAT id with country prefix")] = None,
    oss: Annotated[bool | None, typer.Option("--oss/--no-oss", help="Registered for OSS")] = None,
    fiscal: Annotated[
        bool | None, typer.Option("--fiscal/--no-fiscal", help="Fiscally verify invoices")
    ] = None,
    erp_credential: Annotated[
        list[str] | None, typer.Option(help="ERP credential key=value; give all of them (repeat)")
    ] = None,
    url: Url = DEFAULT_URL,
    token: Token = None,
) -> None:
    """Change the company profile; every connection of the tenant gets a new settings version."""
    api = Api(url, token)
    current = api.call("GET", f"/v1/tenants/{tenant_id}")["company"]
    company = {k: v for k, v in current.items() if k != "erp_credentials"}
    changes = {
        "name": name,
        "erp": erp,
        "country": country,
        "vat_id": vat_id,
        "oss_registered": oss,
        "fiscal_verification": fiscal,
    }
    company.update({k: v for k, v in changes.items() if v is not None})
    creds = _credentials(erp_credential, "--erp-credential")
    if creds:
        company["erp_credentials"] = creds
    api.call("PUT", f"/v1/tenants/{tenant_id}/company", json={"company": company})
    console.print(f"[green]tenant {tenant_id} updated[/green]")


@tenants_app.command("test-erp")
def tenants_test_erp(tenant_id: str, url: Url = DEFAULT_URL, token: Token = None) -> None:
    """Test ERP connection: do the saved ERP credentials work?"""
    _test(Api(url, token), f"/v1/tenants/{tenant_id}/test-erp", "asking the ERP…")


@tenants_app.command("token")
def tenants_token(
    name: Annotated[str, typer.Option(help="Who uses it (shown in the audit)")],
    tenant_id: Annotated[
        str | None, typer.Option("--tenant", help="Tenant; omit for an operator token")
    ] = None,
    url: Url = DEFAULT_URL,
    token: Token = None,
) -> None:
    """Make a new API token (printed once)."""
    created = Api(url, token).call("POST", "/v1/tokens", json={"name": name, "tenant_id": tenant_id})
    err.print(
        f"token {created['token_id']} for {created['tenant_id'] or 'all tenants (operator)'}; keep it safe:"
    )
    console.print(created["token"], soft_wrap=True)  # whole on one line at any terminal width


# --------------------------------------------------------------------------- connections

connections_app = typer.Typer(
    help="Shop connections: add, list, show, edit, test, rotate-webhook, remove.", no_args_is_help=True
)

_SUMMARY = (
    "description",
    "enabled",
    "import_orders",
    "target_document",
    "auto_invoice_paid",
    "polling_interval_seconds",
    "warehouse",
    "cost_center",
    "price_lists",
    "stock_sync",
    "price_sync",
)


def _print_connection(conn: dict[str, Any]) -> None:
    shown = {
        "connection": conn["connection_id"],
        "tenant": conn["tenant_id"],
        "platform": conn["platform"],
        "version": conn["version"],
        **{k: conn[k] for k in _SUMMARY},
        **{f"credentials.{k}": v for k, v in conn["credentials"].items()},
        "webhook_url": conn["webhook_url"],
        "updated": f"{conn['updated_at']} by {conn['updated_by']}",
    }
    console.print(_kv_table(f"connection {conn['connection_id']}", shown))


@connections_app.command("add")
def connections_add(
    tenant_id: str,
    platform: Annotated[str, typer.Option(help="The shop platform: an installed plugin's name")],
    api_key: Annotated[
        str, typer.Option(envvar="STORELINK_SHOP_API_KEY", prompt=True, hide_input=True, help="Shop API key")
    ],
    credential: Annotated[
        list[str] | None,
        typer.Option(
            help="Another credential field of the platform, name=value (repeat); "
            "the answer names any that is missing or wrong"
        ),
    ] = None,
    description: Annotated[str, typer.Option(help="Free description")] = "",
    setting: Annotated[
        list[str] | None,
        typer.Option(
            "--set", help="Any other setting key=value, e.g. warehouse=Main, stock_sync=true (repeat)"
        ),
    ] = None,
    url: Url = DEFAULT_URL,
    token: Token = None,
) -> None:
    """Add a shop connection; prints the webhook URL (shown only this once)."""
    credentials = {**_credentials(credential, "--credential"), "api_key": api_key}
    body = {
        "platform": platform,
        "description": description,
        "credentials": credentials,
        **_pairs(setting, "--set"),
    }
    created = Api(url, token).call("POST", f"/v1/tenants/{tenant_id}/connections", json=body)
    _print_connection(created["connection"])
    err.print("[bold]Webhook URL[/bold] (shown only now; add it in the shop):")
    console.print(created["webhook_url"], soft_wrap=True)


@connections_app.command("list")
def connections_list(
    tenant_id: Annotated[str | None, typer.Option("--tenant", help="Only this tenant's")] = None,
    url: Url = DEFAULT_URL,
    token: Token = None,
    as_json: AsJson = False,
) -> None:
    """List the connections this token may see."""
    rows = Api(url, token).call("GET", "/v1/connections", query={"tenant_id": tenant_id})
    if as_json:
        _print_json(rows)
        return
    console.print(connections_table(rows, console.width))


def connections_table(rows: list[dict[str, Any]], width: int) -> Table:
    """IDs are never cut or wrapped (a person copies them); the description folds instead. A terminal
    too narrow for the columns gets one block per connection."""
    ids = max([10, *(len(c["connection_id"]) for c in rows)])
    tenants = max([6, *(len(c["tenant_id"]) for c in rows)])
    if width < ids + tenants + 48:
        listing = Table(title="connections", show_header=False, box=None)
        listing.add_column("", no_wrap=True)
        for c in rows:
            listing.add_row(c["connection_id"])
            listing.add_row(f"  {c['tenant_id']}")
            listing.add_row(f"  {c['platform']} v{c['version']}, {'enabled' if c['enabled'] else 'paused'}")
            listing.add_row(f"  {c['target_document']}: {c['description']}")
        return listing
    table = Table(title="connections")
    table.add_column(
        "connection", no_wrap=True, min_width=max([10, *(len(c["connection_id"]) for c in rows)])
    )
    table.add_column("tenant", no_wrap=True, min_width=max([6, *(len(c["tenant_id"]) for c in rows)]))
    for name in ("platform", "version", "enabled", "target"):
        table.add_column(name, overflow="fold")
    table.add_column("description", overflow="fold", ratio=1)
    for c in rows:
        table.add_row(
            c["connection_id"],
            c["tenant_id"],
            c["platform"],
            str(c["version"]),
            "yes" if c["enabled"] else "paused",
            c["target_document"],
            c["description"],
        )
    return table


@connections_app.command("show")
def connections_show(
    connection_id: str, url: Url = DEFAULT_URL, token: Token = None, as_json: AsJson = False
) -> None:
    """One connection's settings (credentials masked)."""
    api = Api(url, token)
    conn = api.call("GET", f"/v1/connections/{connection_id}")
    if as_json:
        # with the tenant's company profile, so `storelink map --settings` can preview with it
        company = api.call("GET", f"/v1/tenants/{conn['tenant_id']}")["company"]
        _print_json({**conn, "company": company})
        return
    _print_connection(conn)


@connections_app.command("edit")
def connections_edit(
    connection_id: str,
    setting: Annotated[list[str] | None, typer.Option("--set", help="setting key=value (repeat)")] = None,
    credential: Annotated[
        list[str] | None, typer.Option(help="credential key=value, e.g. api_key=… (repeat)")
    ] = None,
    url: Url = DEFAULT_URL,
    token: Token = None,
) -> None:
    """Change settings; a real change makes a new version that every service picks up."""
    body = _pairs(setting, "--set")
    creds = _credentials(credential, "--credential")
    if creds:
        body["credentials"] = creds
    if not body:
        _fail("nothing to change: give --set key=value or --credential key=value")
    conn = Api(url, token).call("PATCH", f"/v1/connections/{connection_id}", json=body)
    console.print(f"[green]{connection_id} is now at version {conn['version']}[/green]")


@connections_app.command("test")
def connections_test(connection_id: str, url: Url = DEFAULT_URL, token: Token = None) -> None:
    """Test connection: ask the shop whether the saved credentials work."""
    _test(Api(url, token), f"/v1/connections/{connection_id}/test", "asking the shop…")


VERDICT_LABELS = {
    "ok": ("green", "Connection works"),
    "failed": ("red", "Connection failed"),
    "timeout": ("yellow", "No answer"),
    "unsupported": ("yellow", "Not tested"),
    "error": ("yellow", "The test could not run"),
}


def verdict_line(verdict: str, message: str) -> str:
    """One verdict, one sentence: 'Connection works: connected to www.shop.si …'."""
    colour, label = VERDICT_LABELS.get(verdict, ("yellow", verdict))
    return f"[{colour}]{label}[/{colour}]: {message}"


@connections_app.command("rotate-webhook")
def connections_rotate(connection_id: str, url: Url = DEFAULT_URL, token: Token = None) -> None:
    """A new webhook URL; the old one stops working. Put the new one in the shop."""
    result = Api(url, token).call("POST", f"/v1/connections/{connection_id}/rotate-webhook")
    err.print(f"version {result['version']}; new webhook URL (shown only now):")
    console.print(result["webhook_url"], soft_wrap=True)


@connections_app.command("remove")
def connections_remove(
    connection_id: str,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask")] = False,
    url: Url = DEFAULT_URL,
    token: Token = None,
) -> None:
    """Remove a connection: nothing more is imported or synced for it."""
    if not yes:
        typer.confirm(f"remove connection {connection_id}?", abort=True)
    result = Api(url, token).call("DELETE", f"/v1/connections/{connection_id}")
    console.print(f"[green]{result['connection_id']} removed (version {result['version']})[/green]")


# --------------------------------------------------------------------------- status


def status(
    connection_id: Annotated[str | None, typer.Argument(help="One connection; omit for all")] = None,
    url: Url = DEFAULT_URL,
    token: Token = None,
    as_json: AsJson = False,
) -> None:
    """Does it work? Last order, webhook and poll, orders and documents by state, open problems."""
    api = Api(url, token)
    rows = (
        [api.call("GET", f"/v1/connections/{connection_id}/status")]
        if connection_id
        else api.call("GET", "/v1/status")
    )
    _print_rows(
        rows,
        as_json,
        "status",
        (
            "connection",
            "state",
            "last order",
            "last webhook",
            "last poll",
            "orders",
            "documents",
            "attention",
            "dead letters",
        ),
        lambda s: (
            s["connection_id"],
            "paused" if s["paused"] else "enabled",
            f"{s['last_order_number'] or ''} {s['last_order_at'] or '-'}",
            s["last_webhook_at"] or "-",
            s["last_poll_at"] or "-",
            ", ".join(f"{k} {v}" for k, v in s["orders_by_status"].items()) or "-",
            ", ".join(f"{k} {v}" for k, v in s["documents_by_state"].items()) or "-",
            str(s["open_attention"]),
            str(s["dead_letters"]),
        ),
    )


# --------------------------------------------------------------------------- dead letters & attention

dlq_app = typer.Typer(
    help="Dead letters: messages a service could not process; list and replay.", no_args_is_help=True
)


@dlq_app.command("list")
def dlq_list(
    connection_id: Annotated[str | None, typer.Option("--connection")] = None,
    topic: Annotated[str | None, typer.Option("--topic", help="Original topic")] = None,
    include_replayed: Annotated[bool, typer.Option("--include-replayed")] = False,
    url: Url = DEFAULT_URL,
    token: Token = None,
    as_json: AsJson = False,
) -> None:
    """List dead letters (not yet replayed ones unless --include-replayed)."""
    query = {"include_replayed": include_replayed, "connection_id": connection_id, "original_topic": topic}
    _print_rows(
        Api(url, token).call("GET", "/v1/dead-letters", query=query),
        as_json,
        "dead letters",
        ("id", "connection", "topic", "type", "error", "failed at", "replayed"),
        lambda r: (
            str(r["id"]),
            r["connection_id"] or "",
            r["original_topic"],
            r["event_type"] or "",
            f"{r['error_class']}: {r['error']}",
            r["failed_at"],
            str(r["replay_count"]),
        ),
    )


@dlq_app.command("replay")
def dlq_replay(
    dead_letter_id: Annotated[int | None, typer.Argument(help="One dead letter; or use --all")] = None,
    all_matching: Annotated[
        bool, typer.Option("--all", help="Every dead letter matching the filters")
    ] = False,
    connection_id: Annotated[str | None, typer.Option("--connection")] = None,
    topic: Annotated[str | None, typer.Option("--topic")] = None,
    error_class: Annotated[str | None, typer.Option("--error-class")] = None,
    url: Url = DEFAULT_URL,
    token: Token = None,
) -> None:
    """Send dead letters back to their original topic."""
    _replay(
        Api(url, token),
        one=None if dead_letter_id is None else f"/v1/dead-letters/{dead_letter_id}/replay",
        every="/v1/dead-letters/replay" if all_matching else None,
        filters={"connection_id": connection_id, "original_topic": topic, "error_class": error_class},
        missing="give a dead letter id, or --all (with optional filters)",
    )


attention_app = typer.Typer(
    help="Orders that need a person: list them; replay through the current settings.", no_args_is_help=True
)


@attention_app.command("list")
def attention_list(
    connection_id: Annotated[str | None, typer.Option("--connection")] = None,
    include_resolved: Annotated[bool, typer.Option("--include-resolved")] = False,
    url: Url = DEFAULT_URL,
    token: Token = None,
    as_json: AsJson = False,
) -> None:
    """List open needs-attention items with their reasons."""
    query = {"include_resolved": include_resolved, "connection_id": connection_id}
    _print_rows(
        Api(url, token).call("GET", "/v1/attention", query=query),
        as_json,
        "needs attention",
        ("id", "connection", "order", "reasons", "settings version", "resolved"),
        lambda r: (
            str(r["id"]),
            r["connection_id"],
            r["number"] or r["external_id"],
            "; ".join(r["reasons"]),
            str(r["settings_version"] or ""),
            "yes" if r["resolved"] else "",
        ),
    )


@attention_app.command("replay")
def attention_replay(
    item_id: Annotated[int | None, typer.Argument(help="One item; or use --all")] = None,
    all_matching: Annotated[bool, typer.Option("--all", help="Every open item (of --connection)")] = False,
    connection_id: Annotated[str | None, typer.Option("--connection")] = None,
    url: Url = DEFAULT_URL,
    token: Token = None,
) -> None:
    """Send the orders again, so they are mapped with the current settings."""
    _replay(
        Api(url, token),
        one=None if item_id is None else f"/v1/attention/{item_id}/replay",
        every="/v1/attention/replay" if all_matching else None,
        filters={"connection_id": connection_id},
        missing="give an item id, or --all (with optional --connection)",
    )


documents_app = typer.Typer(
    help="ERP documents: list the failed ones with their reason; retry after fixing the settings.",
    no_args_is_help=True,
)


@documents_app.command("list")
def documents_list(
    failed: Annotated[bool, typer.Option("--failed", help="Only the documents the ERP refused")] = False,
    connection_id: Annotated[str | None, typer.Option("--connection")] = None,
    url: Url = DEFAULT_URL,
    token: Token = None,
    as_json: AsJson = False,
) -> None:
    """ERP documents, newest first (created with number and fiscal codes, or failed with why)."""
    query = {"state": "failed" if failed else None, "connection_id": connection_id}
    rows = Api(url, token).call("GET", "/v1/documents", query=query)
    if as_json:
        _print_json(rows)
        return
    if console.width < NARROW_TERMINAL:  # ids are copied by people: printed whole, one block each
        console.print("failed ERP documents" if failed else "ERP documents", highlight=False)
        for r in rows:
            console.print(r["idempotency_key"], soft_wrap=True, markup=False, highlight=False)
            console.print(
                f"  {r['order_number'] or r['order_external_id']} {r['kind']} {r['state']}:"
                f" {_document_detail(r)} (retries {r['retry_count']})",
                markup=False,
                highlight=False,
            )
        return
    table = Table(title="failed ERP documents" if failed else "ERP documents")
    table.add_column("document", no_wrap=True, min_width=max([8, *(len(r["idempotency_key"]) for r in rows)]))
    for name in ("order", "kind", "state", "ERP number / reason", "retries"):
        table.add_column(name, overflow="fold")
    for r in rows:
        detail = _document_detail(r)
        table.add_row(
            r["idempotency_key"],
            r["order_number"] or r["order_external_id"],
            r["kind"],
            r["state"],
            detail,
            str(r["retry_count"]),
        )
    console.print(table)


@documents_app.command("retry")
def documents_retry(
    idempotency_key: Annotated[str | None, typer.Argument(help="One failed document; or use --all")] = None,
    all_failed: Annotated[
        bool, typer.Option("--all", help="Every failed document (of --connection)")
    ] = False,
    connection_id: Annotated[str | None, typer.Option("--connection")] = None,
    url: Url = DEFAULT_URL,
    token: Token = None,
) -> None:
    """Try failed documents again (after fixing, e.g., the ERP key): each is created once."""
    if idempotency_key is None and not all_failed:
        _fail("give a document (its idempotency key from `documents list --failed`), or --all")
    body = {"idempotency_key": idempotency_key, "connection_id": connection_id}
    result = Api(url, token).call("POST", "/v1/documents/retry", json=body)
    console.print(result["message"], soft_wrap=True)


# --------------------------------------------------------------------------- the service itself

control_app = typer.Typer(help="Run the control service, and its OpenAPI document.", no_args_is_help=True)


@control_app.command("serve")
def control_serve() -> None:
    """Run the control service (STORELINK_CONTROL_* settings; migrates the database first)."""
    from storelink_control.__main__ import main

    main()


@control_app.command("openapi")
def control_openapi(
    output: Annotated[Path, typer.Option(help="Where to write it")] = Path("docs/control-openapi.json"),
    check: Annotated[bool, typer.Option("--check", help="Fail when the committed file is stale")] = False,
) -> None:
    """Write (or check) the control API's OpenAPI document."""
    from storelink_control.openapi import render

    text = render()
    if check:
        if not output.is_file() or output.read_text() != text:
            _fail(f"{output} is stale; run `storelink control openapi`")
        err.print(f"{output} is up to date")
        return
    output.write_text(text)
    err.print(f"wrote {output}")
