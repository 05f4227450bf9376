"""The CLI's API client sends only the filters an operator gave."""

from __future__ import annotations

import httpx

from storelink_control.cli import Api, _credentials


def test_filters_left_out_are_not_sent_and_given_ones_are() -> None:
    seen: list[httpx.URL] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.url)
        return httpx.Response(200, json=[])

    api = Api("http://control.test", "token")
    api.client = httpx.Client(base_url="http://control.test", transport=httpx.MockTransport(answer))
    api.call("GET", "/v1/documents", query={"state": None, "connection_id": "", "include_resolved": False})
    api.call("GET", "/v1/documents", query={"state": "failed", "connection_id": "c-1"})

    assert dict(seen[0].params) == {"include_resolved": "false"}
    assert dict(seen[1].params) == {"state": "failed", "connection_id": "c-1"}


def test_credentials_are_kept_as_typed() -> None:
    """A token like 0012 or a password like true must reach the ERP as typed, not as JSON values."""
    given = ["token=0012", "password=true", "username=a=b"]
    assert _credentials(given, "--erp-credential") == {"token": "0012", "password": "true", "username": "a=b"}
