"""Topic creation from the contracts' topic table (partitions, compaction)."""

from __future__ import annotations

import contextlib

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from storelink_contracts import TopicNames


async def ensure_topics(
    bootstrap_servers: str,
    topics: TopicNames,
    *,
    replication_factor: int = 1,
    partitions_override: int | None = None,
) -> list[str]:
    """Create every topic that does not exist yet; returns the names created."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        wanted = [
            NewTopic(
                name=name,
                num_partitions=partitions_override or spec.partitions,
                replication_factor=replication_factor,
                topic_configs=spec.config(),
            )
            for name, spec in topics.all()
            if name not in existing
        ]
        if wanted:
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(wanted)
        return [t.name for t in wanted]
    finally:
        await admin.close()


async def delete_topics(bootstrap_servers: str, topics: TopicNames) -> None:
    """Delete every topic of `topics` that exists (tests clean up after themselves)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        doomed = [name for name, _ in topics.all() if name in existing]
        if doomed:
            await admin.delete_topics(doomed)
    finally:
        await admin.close()
