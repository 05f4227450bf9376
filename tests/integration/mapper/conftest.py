"""Fixtures of the mapper tests: sample orders and settings built from keyword overrides."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest_asyncio

from storelink_kit.settings import KafkaSettings
from storelink_mapper.app import Mapper, build
from storelink_mapper.settings import MapperSettings


def mapper_settings(kafka_settings: KafkaSettings) -> MapperSettings:
    return MapperSettings(
        service_name=f"mapper-{uuid.uuid4().hex[:6]}",
        group_id=f"mapper-{uuid.uuid4().hex[:8]}",
        kafka=kafka_settings,
        batch_timeout_ms=20,
        max_retries=2,
        retry_backoff_seconds=0.01,
        retry_backoff_max_seconds=0.05,
    )


@pytest_asyncio.fixture
async def running_mapper(kafka_settings: KafkaSettings) -> AsyncIterator[Mapper]:
    mapper = build(mapper_settings(kafka_settings)).core
    async with mapper.running():
        yield mapper
