"""The Automations "Send via webhook" body → which order rang the doorbell (pure).

The body is unsigned, so nothing in it is trusted except as a pointer: the order id (or number)
is taken and the order itself is fetched through the API with the connection's key.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from storelink_connector_kit.errors import WebhookRejected
from storelink_connector_kit.platform import Doorbell
from storelink_connector_wix.assumptions import AUTOMATION_NUMBER_KEYS, AUTOMATION_ORDER_KEYS

_GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_NUMBER = re.compile(r"\d{1,20}")


def _unwrap(body: Any) -> list[Mapping[str, Any]]:
    """Places an order may sit: body.data.order, body.data, body.order, body."""
    if not isinstance(body, Mapping):
        raise WebhookRejected("the webhook body must be a JSON object", status=400)
    data: Any = body.get("data", body)
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except ValueError:
            raise WebhookRejected("body.data is a string that is not JSON", status=422) from None
        except RecursionError:
            raise WebhookRejected("body.data holds JSON nested too deep to read", status=422) from None
    places: list[Mapping[str, Any]] = []
    for candidate in (_get(data, "order"), data, _get(body, "order"), body):
        if isinstance(candidate, Mapping) and candidate not in places:
            places.append(candidate)
    return places


def _get(data: Any, key: str) -> Any:
    return data.get(key) if isinstance(data, Mapping) else None


def parse_automation_webhook(body: Any) -> Doorbell:
    ids: list[str] = []
    numbers: list[str] = []
    for place in _unwrap(body):
        for key in AUTOMATION_ORDER_KEYS:
            value = place.get(key)
            if isinstance(value, str) and _GUID.fullmatch(value.strip()) and value.strip().lower() not in ids:
                ids.append(value.strip().lower())
        for key in AUTOMATION_NUMBER_KEYS:
            value = place.get(key)
            text = str(value).strip() if isinstance(value, str | int) and not isinstance(value, bool) else ""
            if _NUMBER.fullmatch(text) and text not in numbers:
                numbers.append(text)
    if not ids and not numbers:
        raise WebhookRejected(
            "no order id or order number in the webhook body; set the Automation's webhook to send "
            '"All keys and values" of an eCommerce order trigger',
            status=422,
        )
    return Doorbell(order_ids=ids, order_numbers=[] if ids else numbers, note="wix automation")
