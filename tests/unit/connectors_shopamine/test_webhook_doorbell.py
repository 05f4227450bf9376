"""A Shopamine webhook body → which orders to fetch (pure). Nothing else in the body is trusted."""

from __future__ import annotations

from typing import Any

import pytest

from storelink_connector_kit.errors import WebhookRejected
from storelink_connector_shopamine.webhook import parse_shopamine_webhook


@pytest.mark.parametrize(
    ("body", "ids", "numbers"),
    [
        ({"event": "order.updated", "order_id": 1234}, ["1234"], []),
        ({"event": "order.created", "order_id": "1234", "order_number": "2026-1"}, ["1234"], []),
        ({"data": {"id": 77, "total": "0.01"}}, ["77"], []),
        ({"order": {"orderId": 8}}, ["8"], []),
        ({"event": "order.updated", "id": "evt_9f", "data": {"order_id": 5}}, ["5"], []),
        ({"order_number": "2026-00042"}, [], ["2026-00042"]),
        ({"data": [{"order_id": 1}, {"order_id": 2}, {"order_id": 1}]}, ["1", "2"], []),
    ],
)
def test_the_order_is_found_wherever_the_body_names_it(
    body: dict[str, Any], ids: list[str], numbers: list[str]
) -> None:
    bell = parse_shopamine_webhook(body)
    assert (list(bell.order_ids), list(bell.order_numbers)) == (ids, numbers)


@pytest.mark.parametrize(
    "body",
    [
        [],
        "order 5",
        5,
        {},
        {"event": "order.updated"},
        {"order_id": True},
        {"order_id": {"x": 1}},
        {"order_id": "   "},
        {"data": {"order": "x" * 500}},
    ],
)
def test_bodies_that_name_no_order_are_rejected_with_a_reason(body: Any) -> None:
    with pytest.raises(WebhookRejected) as caught:
        parse_shopamine_webhook(body)
    assert caught.value.status == (422 if isinstance(body, dict) else 400)
    assert caught.value.reason


def test_a_body_naming_too_many_orders_is_rejected() -> None:
    body = {"data": [{"order_id": n} for n in range(100)], "order": {"order_id": 1000}}
    with pytest.raises(WebhookRejected, match="more than 100"):
        parse_shopamine_webhook(body)
