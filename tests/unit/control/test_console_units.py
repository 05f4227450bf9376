"""The console without a browser: the catalog is complete in both languages, every page renders in
both, field problems are plain words in both, and forms go through the API's own models."""

from __future__ import annotations

import re
import string
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace as NS
from typing import Any

import pytest
from pydantic import ValidationError
from starlette.requests import Request

from storelink_contracts import ErpSystem, Platform
from storelink_control.console.forms import flat, values_from_form
from storelink_control.console.routes import (
    COMPANY_FIELDS,
    PRICE_LIST_ROWS,
    company_specs,
    credential_specs,
    settings_specs,
    templates,
)
from storelink_control.errors import problems_of
from storelink_control.i18n import CATALOG, LANGS, PROBLEM_KEY_BY_TYPE, Lang, problem_text, text
from storelink_control.schemas import CREATE_MODELS

TEMPLATES = Path(__file__).resolve().parents[3] / "services/control/src/storelink_control/console/templates"


def test_every_sentence_has_both_languages() -> None:
    for key, entry in CATALOG.items():
        assert entry.en.strip(), key
        assert entry.sl.strip(), key
        assert set(re.findall(r"\{(\w+)\}", entry.en)) == set(re.findall(r"\{(\w+)\}", entry.sl)), key


def test_every_key_a_template_names_is_in_the_catalog() -> None:
    named: set[str] = set()
    for path in TEMPLATES.glob("*.html"):
        named |= set(re.findall(r"""\bt\(\s*["']([a-z_]+\.[a-z_0-9.]+)["']""", path.read_text()))
    assert named, "no t('…') found: the pattern is wrong"
    literal = {k for k in named if not k.endswith(("_", "."))}  # the rest are prefixes of built keys
    assert sorted(literal - set(CATALOG)) == []
    for prefix in named - literal:
        assert any(k.startswith(prefix) for k in CATALOG), prefix


def _context(lang: Lang) -> dict[str, Any]:
    now = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
    status = NS(
        connection_id="c1",
        description="Trgovina",
        paused=False,
        last_order_number="1001",
        last_order_at=now,
        last_webhook_at=now,
        last_poll_at=None,
        orders_by_status={"confirmed": 1},
        documents_by_state={"created": 1, "failed": 1},
        open_attention=1,
        dead_letters=0,
    )
    failed = NS(
        order_number="1001",
        order_external_id="o1",
        kind="sales_order",
        reason="MetaKocka refused the API key",
        retry_count=0,
        idempotency_key="c1:o1:sales_order",
    )
    created = NS(
        state="created", erp_number="2026-1", erp_document_id="9", fiscal_zoi="z" * 32, fiscal_eor="e"
    )
    timeline = NS(
        number="1001",
        connection_id="c1",
        attention=[],
        snapshots=[
            NS(
                received_at=now,
                via="webhook",
                status="confirmed",
                payment_status="paid",
                total="29.39",
                currency="EUR",
            )
        ],
        documents=[
            NS(
                kind="invoice_domestic",
                gross="29.39",
                why=["paid"],
                idempotency_key="k",
                result=created,
                shadow=False,
            ),
            NS(
                kind="sales_order",
                gross="29.39",
                why=["shadow"],
                idempotency_key="s",
                result=None,
                shadow=True,
            ),
        ],
    )
    return {
        "t": lambda key, **p: text(key, lang, **p),
        "lang": lang,
        "langs": LANGS,
        "me": NS(name="operator", is_operator=True, tenant_id=None),
        "csrf": "c" * 64,
        "csrf_field": "csrf",
        "csrf_header": "X-CSRF-Token",
        "price_list_rows": PRICE_LIST_ROWS,
        "request": Request(
            {"type": "http", "method": "GET", "path": "/console", "headers": [], "query_string": b""}
        ),
        "statuses": [status],
        "tenants": [NS(id="acme", name="Acme", erp="metakocka")],
        "tenant": NS(id="acme", name="Acme", erp="metakocka"),
        "erp": ErpSystem.METAKOCKA,
        "company_fields": COMPANY_FIELDS,
        "erp_fields": company_specs(ErpSystem.METAKOCKA),
        "values": {"name": "Acme"},
        "errors": {"name": "is required"},
        "secrets_saved": True,
        "connections": [NS(id="c1", settings={"description": "Trgovina"}, platform="wix")],
        "platforms": (Platform.WIX, Platform.SHOPAMINE),
        "tenant_id": "acme",
        "platform": Platform.WIX,
        "connection": NS(
            connection_id="c1", description="Trgovina", webhook_url="https://x/webhooks/wix/c1/***"
        ),
        "credential_fields": credential_specs(Platform.WIX),
        "settings_fields": settings_specs(Platform.WIX),
        "new_webhook_url": "https://x/webhooks/wix/c1/secret",
        "verdict": "ok",
        "message": "connected",
        "attention": [NS(id=1, number="1002", external_id="o2", reasons=["unknown SKU X"])],
        "failed": [failed],
        "dead_letters": [],
        "number": "1001",
        "timelines": [timeline],
    }


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("name", sorted(p.name for p in TEMPLATES.glob("*.html") if p.name != "macros.html"))
def test_every_page_renders_in_both_languages_without_raw_keys(name: str, lang: Lang) -> None:
    html = templates.get_template(name).render(_context(lang))
    raw = re.findall(r">\s*((?:[a-z_]+\.)+[a-z_0-9]+)\s*<", html)
    assert raw == [], f"untranslated keys in {name}: {raw}"


def test_slovenian_field_problems_are_plain_words() -> None:
    try:
        CREATE_MODELS[Platform.WIX].model_validate(
            {"platform": "wix", "credentials": {"api_key": "short"}, "polling_interval_seconds": 5}
        )
    except ValidationError as exc:
        problems = {p.field: p.problem for p in problems_of(exc.errors(), lang="sl")}
    assert problems == {
        "credentials.api_key": "je prekratek: vpišite vsaj 8 znakov",
        "credentials.site_id": "je obvezen podatek",
        "polling_interval_seconds": "mora biti vsaj 60",
    }


def test_a_form_goes_through_the_apis_own_model() -> None:
    form = {
        "description": "Shop",
        "credentials.store_url": "https://www.example.com/",
        "credentials.api_key": "token-123456",
        "import_orders": "on",
        "target_document": "invoice",
        "polling_interval_seconds": "3600",
        "warehouse": "glavni",
        "price_lists.0.name": "MPC",
        "price_lists.0.kind": "b2c",
        "price_lists.1.name": "VPC",
        "price_lists.1.kind": "b2b",
        "price_lists.1.send_gross": "gross",
        "stock_sync": "on",
    }
    specs = [*settings_specs(Platform.SHOPAMINE), *credential_specs(Platform.SHOPAMINE)]
    data = values_from_form(form, specs)
    model = CREATE_MODELS[Platform.SHOPAMINE].model_validate({**data, "platform": "shopamine"})
    assert model.credentials.store_url == "https://www.example.com"  # type: ignore[attr-defined]
    assert model.stock_sync is True
    assert model.price_sync is False  # an unticked box is off
    assert [(p.name, p.sends_gross) for p in model.price_lists] == [("MPC", True), ("VPC", True)]
    shown = flat(model.model_dump(mode="json", exclude={"credentials"}))
    assert shown["price_lists.1.send_gross"] == "gross"
    assert shown["price_lists.0.send_gross"] == ""


def test_every_finer_verdict_is_said_in_both_languages() -> None:
    from storelink_kit.verdicts import Verdict

    for verdict in Verdict:
        assert f"reason.{verdict.value}" in CATALOG, verdict
    html = templates.get_template("verdict.html").render(
        {**_context("sl"), "verdict": "failed", "reason": "wrong_secret", "message": "Wix answered 401."}
    )
    assert "Ne deluje:" in html
    assert "API ključ ali geslo je bilo zavrnjeno — Wix answered 401." in html


def test_every_field_a_form_offers_has_a_label_in_both_languages() -> None:
    """A setting added to an API model (e.g. e-računi's password or fiscal codes) gets a label here, or this
    fails; a field the model refuses (e-računi's secret_key) is not offered at all."""
    specs = [*COMPANY_FIELDS]
    for erp in ErpSystem:
        specs += company_specs(erp)
    for platform in CREATE_MODELS:
        specs += credential_specs(platform) + settings_specs(platform)
    names = {s.name.split(".")[-1] for s in specs}
    assert sorted(n for n in names if f"field.{n}" not in CATALOG) == []
    assert "secret_key" not in {s.name.split(".")[-1] for s in company_specs(ErpSystem.ERACUNI)}
    assert {"password", "md5pass", "cash_register_code"} <= {
        s.name.split(".")[-1] for s in company_specs(ErpSystem.ERACUNI)
    }


@pytest.mark.parametrize("lang", LANGS)
def test_the_timeline_marks_a_shadow_document_as_would_send(lang: Lang) -> None:
    html = templates.get_template("timeline.html").render(_context(lang))
    assert text("orders.would_send", lang) in html
    assert html.count(text("orders.pending", lang)) == 0


@pytest.mark.parametrize("lang", LANGS)
def test_every_field_problem_renders_in_plain_words(lang: Lang) -> None:
    """A sentence with a literal brace (e.g. "{...}") once crashed the 422 handler into a 500."""
    for kind in PROBLEM_KEY_BY_TYPE:
        err = {
            "type": kind,
            "loc": ("body", "x"),
            "msg": "m",
            "ctx": {"min_length": 8, "expected": "'a' or 'b'"},
        }
        said = problem_text(err, lang)
        assert said, kind
        assert "{" not in said.replace("{...}", ""), (kind, said)


def test_every_sentence_names_only_plain_placeholders() -> None:
    """Literal braces must be doubled: a sentence is always formatted, with or without params."""
    for key, entry in CATALOG.items():
        for sentence in entry:
            names = [name for _, name, _, _ in string.Formatter().parse(sentence) if name is not None]
            assert all(name.isidentifier() for name in names), (key, sentence)
