"""The topic step of compose and of the k8s Job (`storelink topics create`) against a real broker."""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from pathlib import Path

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from storelink_contracts import TopicNames

pytestmark = pytest.mark.kafka


async def test_topics_create_gives_the_contracts_partitions_and_compaction(kafka_bootstrap: str) -> None:
    prefix = f"deploy{uuid.uuid4().hex[:8]}."
    storelink = Path(sys.executable).parent / "storelink"
    process = await asyncio.create_subprocess_exec(
        str(storelink),
        "topics",
        "create",
        "--bootstrap",
        kafka_bootstrap,
        env={**os.environ, "STORELINK_KAFKA_TOPIC_PREFIX": prefix},
        stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode == 0, stderr.decode()
    names = TopicNames(prefix=prefix)
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()
    try:
        described = await admin.describe_topics([name for name, _ in names.all()])
        partitions = {t["topic"]: len(t["partitions"]) for t in described}
        configs = await admin.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, name) for name, _ in names.all()]
        )
    finally:
        await admin.close()
    policies: dict[str, str] = {}
    for response in configs:
        for resource in response.resources:
            _err, _msg, _type, name, entries = resource[:5]
            for entry in entries:
                if entry[0] == "cleanup.policy":
                    policies[name] = entry[1]
    for name, spec in names.all():
        assert partitions[name] == spec.partitions, name
        assert policies[name] == ("compact" if spec.compacted else "delete"), name
    assert any(spec.compacted for _, spec in names.all())
