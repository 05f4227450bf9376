"""The simulator and the connector's assumptions module describe the same guessed API: if one is
corrected without the other, this fails."""

from __future__ import annotations

from pathlib import Path

from storelink_connector_kit.platform import OrderContext
from storelink_connector_shopamine import assumptions as a
from storelink_connector_shopamine.mapping import map_shopamine_order
from storelink_connector_shopamine.webhook import parse_shopamine_webhook
from storelink_sim_shopamine import app as sim_app
from storelink_sim_shopamine.samples import new_order, webhook_body
from storelink_sim_shopamine.state import ALL_SCOPES, Sim


def test_scopes_limits_and_price_fields_agree() -> None:
    assert {a.SCOPE_ITEMS, a.SCOPE_ORDERS} == ALL_SCOPES
    assert sim_app.MAX_LIMIT == a.LIST_PAGE_LIMIT
    item = Sim().add_shop("www.x.si").add_item("S", price="1.00", price_b2b="0.82")
    assert {a.STOCK_FIELD, a.PRICE_FIELD_B2C, a.PRICE_FIELD_B2B} <= item.keys()


def test_error_codes_agree() -> None:
    source = Path(sim_app.__file__).read_text(encoding="utf-8")
    for code in (a.ERROR_CODE_API_DISABLED, a.ERROR_CODE_SCOPE, a.ERROR_CODE_UNKNOWN_SHOP):
        assert f'"{code}"' in source, code
    assert f'"{a.ORDERS_MODIFIED_SINCE_PARAM}"' in source
    assert f'"{a.ORDERS_NUMBER_PARAM}"' in source


def test_every_order_the_simulator_makes_maps_cleanly_and_its_webhook_names_it() -> None:
    shop = Sim().add_shop("www.x.si")
    ctx = OrderContext(tenant_id="t", connection_id="c")
    for kwargs in ({}, {"company": True}, {"shipping": None}, {"payment_method": "cod", "status": "shipped"}):
        raw = shop.add_order(new_order(**kwargs))  # type: ignore[arg-type]
        event = map_shopamine_order(raw, ctx)
        assert event is not None
        assert event.external_id == str(raw["id"])
        lines = sum(line.unit_price * line.quantity for line in event.lines)
        shipping = event.shipping.amount if event.shipping else 0
        assert lines + shipping == event.totals.total
        assert list(parse_shopamine_webhook(webhook_body(raw)).order_ids) == [str(raw["id"])]
    assert map_shopamine_order(shop.add_order(new_order(status="cart")), ctx) is None
