"""Webhook bodies whose fields hold deeply nested JSON as text: a clear 4xx, never a RecursionError
answered with 500 (found by tests/system R3; the server's own frames make 1,000 levels enough
there, 100,000 are used here). The JSON body itself is the known case of issue 17."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from storelink_connector_kit.errors import WebhookRejected
from storelink_connector_kit.webhooks import WebhookIngress
from storelink_connector_wix.webhook import parse_automation_webhook

DEEP_ARRAY = "[" * 100_000 + "]" * 100_000
DEEP_OBJECT = '{"a":' * 100_000 + "1" + "}" * 100_000


def test_a_form_field_of_deep_json_stays_text() -> None:
    body = WebhookIngress._decode("application/x-www-form-urlencoded", f"data={quote(DEEP_OBJECT)}".encode())
    assert body == {"data": DEEP_OBJECT}


def test_a_form_field_of_json_is_still_read_as_json() -> None:
    body = WebhookIngress._decode(
        "application/x-www-form-urlencoded", b"data=%7B%22orderId%22%3A%22x%22%7D&b=1"
    )
    assert body == {"data": {"orderId": "x"}, "b": "1"}


@pytest.mark.parametrize("text", [DEEP_ARRAY, DEEP_OBJECT])
def test_a_wix_data_field_of_deep_json_text_is_refused_with_a_reason(text: str) -> None:
    with pytest.raises(WebhookRejected) as refused:
        parse_automation_webhook({"data": text})
    assert refused.value.status == 422
    assert "data" in refused.value.reason
