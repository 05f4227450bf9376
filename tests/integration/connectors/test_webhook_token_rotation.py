"""A rotated webhook token is dead from the moment control answered, although the connector learns the
new token through Kafka a little later: a matching token is only believed once every connection
setting on the topic at that moment has been read (found by tests/system R5: the old token was
still accepted right after the rotation).

Here only what needs a broker, a process or real time; the rest:
tests/unit/connectors/test_webhook_token_rotation.py.
"""

from __future__ import annotations

import secrets

import pytest

from .conftest import Rig as CRig


@pytest.mark.kafka
async def test_each_rotation_through_kafka_kills_the_old_token_for_the_very_next_webhook(rig: CRig) -> None:
    """Through the real broker: the rotation is published (acknowledged), the old token is rung at
    once — refused every time; the new one is accepted."""
    await rig.configure()
    order = rig.harness.create_order(paid=True)
    refused = []
    for _ in range(5):
        old = rig.token
        rig.token = secrets.token_urlsafe(24)
        await rig.publish(rig.connection())
        answer = await rig.ring(rig.harness.doorbell(order), token=old)
        refused.append(answer.status_code)
    assert refused == [403] * 5
    accepted = await rig.ring(rig.harness.doorbell(order))
    assert accepted.status_code == 200, accepted.text
