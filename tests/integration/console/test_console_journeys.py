"""The seeds' journeys through the console alone, in real Chromium, on the running stack:

- seed 000 (Shopamine + MetaKocka, English): an empty hub → a company with a wrong MetaKocka key
  (Test ERP connection says so) → a Shopamine connection with a too-short key (the error sits next
  to the field), a wrong key (Test connection says so), the right one (works) → the Web Hook URL →
  an order placed in the shop simulator rings it → the document fails (wrong ERP key) and waits in
  the inbox → the key is fixed → Retry → the timeline shows the MetaKocka document;
- seed 004 (Wix + e-računi, Slovenian): the same from an empty company, with fiscal verification
  and automatic invoicing, the Site ID pasted as the dashboard address;
- keyboard only: the settings form is filled and saved without a mouse; every input has a name in
  the accessibility tree.

Screenshots of the main pages are written to docs/console/ by `make screenshots`.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from .conftest import SCREENSHOTS, Stack, sim

pytestmark = pytest.mark.kafka

MK_COMPANY, MK_SECRET = "16", "dev-secret"  # sim-metakocka's default company (deploy/local/demo.py)
SHOPAMINE_DOMAIN, SHOPAMINE_TOKEN = "www.demo-shop.si", "demo-token"  # sim-shopamine's demo shop
WIX_KEY, WIX_SITE = "demo-wix-api-key", "11111111-1111-4111-8111-111111111111"  # sim-wix's demo site
ERACUNI_USER, ERACUNI_PASSWORD, ERACUNI_TOKEN = "api@example.si", "dev-password", "dev-token"  # sim-eracuni
DEADLINE = 90.0


def shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def eventually(check: Callable[[], Any], what: str, timeout: float = DEADLINE) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not reached within {timeout:g} s")
        time.sleep(1.0)


def sign_in(page: Page, stack: Stack, language: str = "en") -> None:
    """Sign in with the operator token, then speak `language` (the choice is remembered per user)."""
    page.goto(stack.console)
    expect(page).to_have_url(re.compile(r"/console/sign-in$"))
    page.locator("#token").fill(stack.operator_token)
    page.locator("form button[type=submit]").click()
    expect(page.locator("h1")).to_be_visible()
    if page.locator("html").get_attribute("lang") != language:
        page.locator("#lang-switch").select_option(language)
        page.locator("#lang-switch ~ button").click()
    expect(page.locator("html")).to_have_attribute("lang", language)


def verdict(page: Page, button: str, box: str) -> str:
    page.get_by_role("button", name=button, exact=True).click()
    verdict_box = page.locator(f"#{box} .verdict")
    expect(verdict_box).to_be_visible(timeout=45_000)
    return verdict_box.inner_text()


def new_webhook_url(page: Page, generate: str) -> str:
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name=generate).click()
    field = page.locator("#webhook-url")
    expect(field).to_be_visible()
    url = field.input_value()
    assert "***" not in url
    return url


def timeline_shows_document(page: Page, stack: Stack, number: str, created: str) -> None:
    def shown() -> bool:
        page.goto(f"{stack.console}/orders?number={number}")
        return page.get_by_text(created).count() > 0

    eventually(shown, f"the ERP document of order {number} in the timeline")


# --------------------------------------------------------------------------- make up


def test_make_up_says_where_the_console_is_and_how_to_sign_in(page: Page, stack: Stack) -> None:
    """Issue 14: nothing said where the operator token is under `make up`."""
    said = stack.up_output
    assert f"Console: {stack.console}" in said, said[-2000:]
    secrets = stack.state / "local" / "secrets.env"
    assert f"STORELINK_CONTROL_OPERATOR_TOKEN in {secrets}" in said
    assert stack.operator_token not in said  # where it is, never the token itself
    page.goto(stack.console)
    expect(
        page.get_by_text("STORELINK_CONTROL_OPERATOR_TOKEN")
    ).to_be_visible()  # the sign-in page says so too
    shot(page, "00-sign-in")


# --------------------------------------------------------------------------- seed 000


def test_seed_000_shopamine_and_metakocka_from_an_empty_company_with_a_retry(
    page: Page, stack: Stack
) -> None:
    tenant = f"seed000-{uuid.uuid4().hex[:6]}"
    sign_in(page, stack)
    shot(page, "01-overview")

    # the company, first with a wrong MetaKocka key
    page.get_by_role("link", name="Add a company").click()
    page.get_by_label("Short name (for addresses and tokens)").fill(tenant)
    page.get_by_label("Company name").fill("Trgovina Seed 000 d.o.o.")
    page.get_by_label("VAT id").fill("SI12345678")
    page.get_by_label("MetaKocka company id").fill(MK_COMPANY)
    page.get_by_label("ERP API key").fill("wrong-secret-0000")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Saved.")).to_be_visible()
    said = verdict(page, "Test ERP connection", "erp-verdict")
    assert said.startswith("Does not work:"), said
    assert "wrong-secret-0000" not in page.content()

    # the Shopamine connection: a key too short, then a wrong key, then the right one
    page.get_by_role("link", name="Connect a Shopamine shop").click()
    page.get_by_label("Description").fill("Spletna trgovina Shopamine")
    page.get_by_label("Online store address").fill(SHOPAMINE_DOMAIN)
    page.get_by_label("API key", exact=True).fill("short")
    page.get_by_label("Orders become").select_option("sales_order")
    page.get_by_label("Warehouse (for stock sync)").fill("glavni")
    page.get_by_label("Cost center").fill("SPLET")
    page.get_by_label("Price list 1", exact=True).fill("MPC")
    page.get_by_label("Kind of price list 1").select_option("b2c")
    page.get_by_label("Price list 2", exact=True).fill("VPC")
    page.get_by_label("Kind of price list 2").select_option("b2b")
    page.get_by_label("Sync stock to the shop").check()
    page.get_by_label("Sync prices to the shop").check()
    page.get_by_role("button", name="Save").click()
    error = page.locator("#f-credentials-api_key-error")
    expect(error).to_have_text("is too short: give at least 8 characters")
    assert (
        page.get_by_label("API key", exact=True).get_attribute("aria-describedby")
        == "f-credentials-api_key-error"
    )
    assert "after validation" not in page.content()
    shot(page, "03-connection-field-error")

    page.get_by_label("API key", exact=True).fill("wrong-token-0000")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Copy it now: it is shown only this once.")).to_be_visible()
    said = verdict(page, "Test connection", "test-verdict")
    assert said.startswith("Does not work:"), said
    page.get_by_label("API key", exact=True).fill(SHOPAMINE_TOKEN)
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Saved.")).to_be_visible()
    said = verdict(page, "Test connection", "test-verdict")
    assert said.startswith("Works:"), said

    # the Web Hook URL, copied, and the shop-side steps beside it
    hook = new_webhook_url(page, "Generate a new Web Hook URL")
    assert f"/webhooks/shopamine/{page.url.rsplit('/', 1)[-1].split('?')[0]}/" in hook
    page.get_by_role("button", name="Copy").click()
    expect(page.get_by_text("enter this Web Hook URL there")).to_be_visible()
    shot(page, "04-connection-webhook")

    # an order in the shop; its doorbell rings the URL the console handed out
    with sim(stack, 8104) as mk:
        mk.put(
            f"/_sim/products/{MK_COMPANY}",
            json=[{"mk_id": "9001", "code": "SKU-1", "name": "Skodelica", "unit": "kos"}],
        ).raise_for_status()
    from storelink_sim_shopamine.samples import new_order

    with sim(stack, 8102) as shop:
        placed = shop.post(
            f"/_sim/shops/{SHOPAMINE_DOMAIN}/orders", json=new_order(lines=[("SKU-1", 2, "12.20")])
        )
        placed.raise_for_status()
        order = placed.json()
    number = str(order.get("number") or order.get("order_number"))
    rang = httpx.post(hook, json={"id": order.get("id"), "number": number}, timeout=15)
    assert rang.status_code < 300, rang.text

    # the wrong ERP key: the document fails and waits in the inbox with the reason
    def failed_in_inbox() -> bool:
        page.goto(f"{stack.console}/inbox")
        return page.get_by_role("row").filter(has_text=number).count() > 0

    eventually(failed_in_inbox, f"order {number}'s failed document in the inbox")
    shot(page, "05-inbox-failed-document")

    # fix the key, test it, retry
    page.goto(f"{stack.console}/tenants/{tenant}")
    page.get_by_label("ERP API key").fill(MK_SECRET)
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Saved.")).to_be_visible()
    said = verdict(page, "Test ERP connection", "erp-verdict")
    assert said.startswith("Works:"), said
    shot(page, "02-company-profile")
    page.goto(f"{stack.console}/inbox")
    page.get_by_role("row").filter(has_text=number).get_by_role("button", name="Retry").first.click()
    expect(page.get_by_text("sent again to the ERP")).to_be_visible()

    timeline_shows_document(page, stack, number, "Created in the ERP:")
    expect(page.get_by_text("by webhook").first).to_be_visible()
    page.get_by_text("Why this document").first.click()
    shot(page, "06-order-timeline")
    with sim(stack, 8104) as mk:
        documents = mk.get(f"/_sim/documents/{MK_COMPANY}").json()
    assert sum(1 for d in documents if number in str(d)) >= 1

    page.goto(stack.console)
    connection_id = hook.split("/webhooks/shopamine/", 1)[1].split("/", 1)[0]
    row = page.get_by_role("row").filter(has_text=connection_id)
    expect(row).to_contain_text(number)
    expect(row.locator("td").nth(3)).not_to_have_text("—")  # "last webhook" is filled (origin webhook:…)
    shot(page, "07-overview-live-status")


# --------------------------------------------------------------------------- seed 004


def test_seed_004_wix_and_eracuni_in_slovenian(page: Page, stack: Stack) -> None:
    tenant = f"seed004-{uuid.uuid4().hex[:6]}"
    sign_in(page, stack)
    page.get_by_label("Language").select_option("sl")
    page.get_by_role("button", name="Change").click()
    expect(page.get_by_role("heading", name="Pregled")).to_be_visible()
    # remembered for this user: signed out and in again, the console still speaks Slovenian
    page.get_by_role("button", name="Odjava").click()
    page.get_by_label("Žeton API").fill(stack.operator_token)
    page.get_by_role("button", name="Prijava").click()
    expect(page.get_by_role("heading", name="Pregled")).to_be_visible()

    page.get_by_role("link", name="Dodaj podjetje").click()
    page.get_by_label("Kratko ime (za naslove in žetone)").fill(tenant)
    page.get_by_label("Naziv podjetja").fill("Seed 004 d.o.o.")
    page.get_by_label("Identifikacijska številka za DDV").fill("SI12345678")
    page.get_by_label("Davčno potrjevanje računov").check()
    page.get_by_label("ERP", exact=True).select_option("eracuni")
    expect(page.get_by_label("Uporabnik API e-računi")).to_be_visible()
    page.get_by_label("Kratko ime (za naslove in žetone)").fill(tenant)
    page.get_by_label("Naziv podjetja").fill("Seed 004 d.o.o.")
    page.get_by_label("Identifikacijska številka za DDV").fill("SI12345678")
    page.get_by_label("Davčno potrjevanje računov").check()
    page.get_by_label("Uporabnik API e-računi").fill(ERACUNI_USER)
    page.get_by_label("Geslo uporabnika API e-računi").fill(ERACUNI_PASSWORD)
    page.get_by_label("Žeton organizacije e-računi").fill(ERACUNI_TOKEN)
    page.get_by_label("Oznaka elektronske naprave (davčno potrjevanje)").fill("BLAG1")
    page.get_by_label("Poslovni prostor (davčno potrjevanje)").fill("PP1")
    page.get_by_role("button", name="Shrani").click()
    expect(page.get_by_text("Shranjeno.")).to_be_visible()
    said = verdict(page, "Preizkusi povezavo z ERP", "erp-verdict")
    assert said.startswith("Deluje:"), said

    page.get_by_role("link", name="Poveži trgovino Wix").click()
    page.get_by_label("Opis").fill("Trgovina Wix")
    page.get_by_label("API ključ", exact=True).fill("IST." + "0" * 60)
    page.get_by_label("Site ID (ali naslov nadzorne plošče)").fill(
        f"https://manage.wix.com/dashboard/{WIX_SITE}/home"
    )
    page.get_by_label("Naročila se prenesejo kot").select_option("sales_order")
    page.get_by_label("Avtomatsko fakturiranje plačanih naročil").check()
    page.get_by_label("Skladišče (za sinhronizacijo zaloge)").fill("GLAVNO")
    page.get_by_label("Stroškovno mesto").fill("SPLET")
    page.get_by_role("button", name="Shrani").click()
    expect(page.get_by_text("Kopirajte ga zdaj")).to_be_visible()
    assert page.get_by_label("Site ID (ali naslov nadzorne plošče)").input_value() == WIX_SITE
    said = verdict(page, "Preizkusi povezavo", "test-verdict")
    assert said.startswith("Ne deluje:"), said
    page.get_by_label("API ključ", exact=True).fill(WIX_KEY)
    page.get_by_role("button", name="Shrani").click()
    expect(page.get_by_text("Shranjeno.")).to_be_visible()
    said = verdict(page, "Preizkusi povezavo", "test-verdict")
    assert said.startswith("Deluje:"), said
    hook = new_webhook_url(page, "Zgeneriraj nov Web Hook URL")
    assert "/webhooks/wix/" in hook
    expect(
        page.get_by_text("Izberite način vnosa").or_(page.get_by_text("All keys and values"))
    ).to_be_visible()
    shot(page, "08-sl-wix-connection")

    from storelink_sim_wix.fixtures import ecom_order

    number = str(70000 + uuid.uuid4().int % 10000)
    with sim(stack, 8101) as wix:
        placed = wix.post(
            f"/_sim/sites/{WIX_SITE}/orders", json=ecom_order(sku="SKU-0001", quantity=1, number=number)
        )
        placed.raise_for_status()
    order_id = placed.json().get("order", {}).get("id", "")
    rang = httpx.post(hook, json={"data": {"orderId": order_id, "number": number}}, timeout=15)
    assert rang.status_code < 300, rang.text

    timeline_shows_document(page, stack, number, "Ustvarjen v ERP:")
    expect(page.get_by_text("prek webhooka").first).to_be_visible()
    # seed 004: the paid (card) order's invoice is fiscally verified — its ZOI is on the timeline
    timeline_shows_document(page, stack, number, "ZOI:")
    page.get_by_text("Zakaj ta dokument").first.click()
    shot(page, "09-sl-order-timeline")


# --------------------------------------------------------------------------- keyboard and labels


def _unnamed_controls(snapshot: str) -> list[str]:
    """Lines of an ARIA snapshot whose form control has no accessible name."""
    controls = ("textbox", "checkbox", "combobox", "spinbutton", "searchbox")
    return [
        line.strip()
        for line in snapshot.splitlines()
        if line.strip().startswith("- ")
        and line.strip()[2:].split(" ")[0].rstrip(":") in controls
        and '"' not in line
    ]


def test_the_settings_form_works_by_keyboard_alone_and_every_input_has_a_label(
    page: Page, stack: Stack
) -> None:
    tenant = f"keys-{uuid.uuid4().hex[:6]}"
    with httpx.Client(
        base_url=stack.url(8000), headers={"Authorization": f"Bearer {stack.operator_token}"}
    ) as api:
        made = api.post(
            "/v1/tenants",
            json={"tenant_id": tenant, "company": {"name": "Tipkovnica d.o.o.", "erp": "metakocka"}},
        )
        assert made.status_code == 201, made.text
    sign_in(page, stack)
    page.goto(f"{stack.console}/tenants/{tenant}/connections/new?platform=shopamine")

    form = page.locator("form.card")
    snapshot = form.aria_snapshot()
    assert "textbox" in snapshot
    assert _unnamed_controls(snapshot) == [], snapshot
    for control in page.locator("main input:not([type=hidden]), main select").all():
        name = control.get_attribute("name")
        assert control.evaluate("el => el.labels.length") >= 1, f"input {name} has no <label>"

    # keyboard only: Tab to the first field, type, Tab on, Space ticks a box, Enter submits
    def focused() -> str:
        return str(page.evaluate("document.activeElement && document.activeElement.id"))

    for _ in range(40):
        page.keyboard.press("Tab")
        if focused() == "f-credentials-store_url":
            break
    assert focused() == "f-credentials-store_url"
    page.keyboard.type(SHOPAMINE_DOMAIN)
    page.keyboard.press("Tab")
    assert focused() == "f-credentials-api_key"
    page.keyboard.type(SHOPAMINE_TOKEN + "-kbd")
    page.keyboard.press("Tab")
    assert focused() == "f-description"
    page.keyboard.type("Tipkovnica")
    seen = [focused()]
    while focused() != "f-stock_sync":
        page.keyboard.press("Tab")
        seen.append(focused())
        assert len(seen) < 30, seen
    page.keyboard.press("Space")
    assert page.locator("#f-stock_sync").is_checked()
    assert "f-warehouse" in seen
    page.locator("#f-warehouse").focus()  # back to the warehouse by Shift+Tab would do the same
    page.keyboard.type("glavni")
    page.keyboard.press("Enter")
    expect(page.get_by_text("Copy it now: it is shown only this once.")).to_be_visible()
    assert page.get_by_label("Sync stock to the shop").is_checked()
    assert page.get_by_label("Warehouse (for stock sync)").input_value() == "glavni"
