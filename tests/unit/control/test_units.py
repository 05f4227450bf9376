"""Pure parts: settings ↔ event contract, rules, masking and audit diff, webhook tokens, errors,
rate limits, migrations and the committed OpenAPI document."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from storelink_connector_wix.credentials import WixCredentials
from storelink_contracts import CompanyProfile, ConnectionConfigured
from storelink_control.db.engine import migrate
from storelink_control.db.tables import Base
from storelink_control.errors import problems_of
from storelink_control.openapi import render
from storelink_control.ratelimit import RateLimit
from storelink_control.rules import check_company, check_settings
from storelink_control.schemas import (
    SETTINGS_FIELDS,
    CompanyBase,
    ConnectionSettings,
)
from storelink_control.secrecy import MASK, diff, masked_values
from storelink_control.status import connection_of_key, origin_kind
from storelink_control.webhooks import token_matches, token_sha256, webhook_url
from storelink_kit.database import make_engine

ROOT = Path(__file__).resolve().parents[3]


def test_committed_openapi_document_is_current() -> None:
    committed = (ROOT / "docs" / "control-openapi.json").read_text()
    assert committed == render(), "docs/control-openapi.json is stale: run `storelink control openapi`"


def test_every_setting_is_a_field_of_the_event_with_the_same_default() -> None:
    event_fields = ConnectionConfigured.model_fields
    for name in SETTINGS_FIELDS:
        assert name in event_fields, f"{name} is a setting but not in ConnectionConfigured"
        ours = ConnectionSettings.model_fields[name].get_default(call_default_factory=True)
        theirs = event_fields[name].get_default(call_default_factory=True)
        assert ours == theirs, name
    for name in ("country", "oss_registered", "fiscal_verification"):
        assert CompanyBase.model_fields[name].default == CompanyProfile.model_fields[name].default


def test_settings_rules() -> None:
    assert check_settings(ConnectionSettings()) == []
    problems = check_settings(
        ConnectionSettings(stock_sync=True, price_sync=True, auto_invoice_paid=True, import_orders=False)
    )
    assert [p.field for p in problems] == ["warehouse", "price_lists", "auto_invoice_paid"]


@pytest.mark.parametrize(
    ("country", "vat_id", "fiscal", "field"),
    [
        ("GR", "EL123456789", False, None),
        ("GR", "GR123456789", False, "company.vat_id"),
        ("SI", "SI12345678", True, None),
        ("DE", "DE123456789", True, "company.fiscal_verification"),
    ],
)
def test_company_rules(country: str, vat_id: str, fiscal: bool, field: str | None) -> None:
    company = CompanyBase(name="X", country=country, vat_id=vat_id, fiscal_verification=fiscal)
    problems = check_company(company)
    assert [p.field for p in problems] == ([field] if field else [])


def test_masking_and_audit_diff_never_show_secrets() -> None:
    creds = WixCredentials.model_validate(
        {"api_key": "very-secret-key", "site_id": "3f2b1c1e-6a7d-4a8e-9f4b-2a1c0d9e8f7a"}
    )
    assert masked_values(creds) == {"api_key": MASK, "site_id": "3f2b1c1e-6a7d-4a8e-9f4b-2a1c0d9e8f7a"}
    changes = diff(
        {"credentials.api_key": "old-secret", "warehouse": "A", "same": 1},
        {"credentials.api_key": "new-secret", "warehouse": "B", "same": 1},
        frozenset({"api_key"}),
    )
    assert changes == [
        {"field": "credentials.api_key", "old": MASK, "new": MASK},
        {"field": "warehouse", "old": "A", "new": "B"},
    ]
    assert "secret" not in str(changes)


def test_webhook_tokens() -> None:
    digest = token_sha256("abc")
    assert token_matches("abc", digest)
    assert not token_matches("abd", digest)
    assert webhook_url("https://h.example/", "wix", "c1", None) == "https://h.example/webhooks/wix/c1/***"
    assert webhook_url("https://h.example", "wix", "c1", "tok") == "https://h.example/webhooks/wix/c1/tok"


def test_pydantic_errors_become_field_and_problem() -> None:
    errors = [
        {
            "loc": ("body", "wix", "credentials", "site_id"),
            "msg": "Input should be a valid UUID",
            "type": "uuid",
        },
        {
            "loc": ("body",),
            "msg": "x",
            "type": "union_tag_invalid",
            "ctx": {"discriminator": "'platform'", "tag": "ebay"},
        },
        {"loc": ("body", "company", "metakocka", "vat_id"), "msg": "Value error, bad", "type": "value_error"},
    ]
    assert [(p.field, p.problem) for p in problems_of(errors)] == [
        ("credentials.site_id", "is not valid"),
        ("platform", "must be one of shopamine, wix (got 'ebay')"),
        ("company.vat_id", "bad"),
    ]


def test_origin_and_key_parsing() -> None:
    assert origin_kind("webhook:wix") == "webhook"
    assert origin_kind("poll") == "poll"
    assert origin_kind("control-replay") is None
    assert connection_of_key("wix-1:ord-9") == "wix-1"
    assert connection_of_key("wix-1") == "wix-1"
    assert connection_of_key(None) is None


async def test_rate_limit_counts_per_key() -> None:
    limit = RateLimit("2/minute")
    assert await limit.hit("a") is None
    assert await limit.hit("a") is None
    wait = await limit.hit("a")
    assert wait is not None
    assert wait >= 1
    assert await limit.hit("b") is None
    with pytest.raises(ValueError, match="not an async storage"):
        RateLimit("1/minute", "memory://")


async def test_migrations_create_every_table_and_are_idempotent(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'm.db'}")
    await migrate(engine)
    await migrate(engine)
    async with engine.connect() as conn:
        tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
    await engine.dispose()
    assert {
        "tenants", "api_tokens", "connections", "audit_log", "orders_seen", "connection_activity",
        "documents", "attention_items", "dead_letters", "alembic_version",
    } <= tables  # fmt: skip


async def test_migrations_match_the_models(tmp_path: Path) -> None:
    """A model change without a migration fails here (autogenerate finds a difference)."""
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'c.db'}")
    await migrate(engine)

    def compare(conn: Any) -> list[Any]:
        context = MigrationContext.configure(conn)
        return list(compare_metadata(context, Base.metadata))

    async with engine.connect() as conn:
        differences = await conn.run_sync(compare)
    await engine.dispose()
    assert differences == []


def test_a_body_union_needs_an_installed_plugin() -> None:
    from storelink_control.schemas import CREATE_MODELS, _one_of

    with pytest.raises(RuntimeError, match="no shop plugin is installed"):
        _one_of([], "shop plugin", "platform")
    only = next(iter(CREATE_MODELS.values()))
    assert _one_of([only], "shop plugin", "platform") is only
