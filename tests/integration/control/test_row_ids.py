"""Row ids in paths are database integers: an id no database row can have is a 422 with a reason,
not a 500 (tests/system R3 found POST /v1/dead-letters/4011023343400030697869591707648/replay and
the same on /v1/attention answering 500: the number did not fit SQLite's 64-bit INTEGER)."""

from __future__ import annotations

import pytest

from .conftest import Live

pytestmark = pytest.mark.kafka

TOO_BIG = 2**63  # one past the largest 64-bit INTEGER


@pytest.mark.parametrize("route", ["/v1/dead-letters/{id}/replay", "/v1/attention/{id}/replay"])
async def test_an_id_no_row_can_have_is_refused_with_422(live: Live, route: str) -> None:
    client = live.client(live.operator)
    for row_id in (TOO_BIG, 4011023343400030697869591707648, 0, -1):
        answer = await client.post(route.format(id=row_id))
        assert answer.status_code == 422, (row_id, answer.status_code, answer.text)
    largest = await client.post(route.format(id=TOO_BIG - 1))
    assert largest.status_code == 404, largest.text
