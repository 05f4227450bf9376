"""A Shopamine webhook body → which orders changed (pure). Webhooks are undocumented, so the body
is read as a doorbell (assumptions.WEBHOOK_*): it must name an order by id or number, and nothing
else in it is trusted — the order is fetched through the API."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from storelink_connector_kit.errors import WebhookRejected
from storelink_connector_kit.platform import Doorbell
from storelink_connector_shopamine.assumptions import (
    WEBHOOK_NESTING_KEYS,
    WEBHOOK_ORDER_ID_KEYS,
    WEBHOOK_ORDER_NUMBER_KEYS,
)

MAX_ORDERS = 100


def _scalar(value: Any) -> str | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int) or (isinstance(value, str) and value.strip()):
        text = str(value).strip()
        return text if len(text) <= 100 else None
    return None


def _candidates(body: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    found = [body]
    for key in WEBHOOK_NESTING_KEYS:
        nested = body.get(key)
        if isinstance(nested, Mapping):
            found += _candidates(nested)
        elif isinstance(nested, list):
            found += [n for n in nested[:MAX_ORDERS] if isinstance(n, Mapping)]
    return found


def parse_shopamine_webhook(body: Any) -> Doorbell:
    if not isinstance(body, Mapping):
        raise WebhookRejected("the body must be a JSON object naming an order", status=400)
    ids: list[str] = []
    numbers: list[str] = []
    for part in _candidates(body):
        order_id = next(
            (
                v
                for v in (_scalar(part.get(k)) for k in WEBHOOK_ORDER_ID_KEYS)
                if v is not None and v.isdigit()
            ),
            None,
        )
        if order_id is not None:
            if order_id not in ids:
                ids.append(order_id)
            continue
        number = next((v for v in (_scalar(part.get(k)) for k in WEBHOOK_ORDER_NUMBER_KEYS) if v), None)
        if number is not None and number not in numbers:
            numbers.append(number)
    if not ids and not numbers:
        raise WebhookRejected(
            "the body names no order: expected order_id (or id / order_number) at the top or under data",
            status=422,
        )
    if len(ids) + len(numbers) > MAX_ORDERS:
        raise WebhookRejected(f"the body names more than {MAX_ORDERS} orders", status=422)
    event = body.get("event")
    return Doorbell(order_ids=ids, order_numbers=numbers, note=str(event)[:100] if event else "")
