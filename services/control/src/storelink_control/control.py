"""Everything a request handler needs, built once at start (the composition root's product)."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request
from faststream.kafka import KafkaBroker
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from storelink_contracts import TopicNames
from storelink_control.ratelimit import RateLimit
from storelink_control.settings import ControlSettings
from storelink_control.testers import TesterRegistry
from storelink_kit.publishing import EventPublisher
from storelink_kit.secrets import SecretBox


@dataclass(slots=True)
class Control:
    settings: ControlSettings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    broker: KafkaBroker
    publisher: EventPublisher
    topics: TopicNames
    box: SecretBox
    testers: TesterRegistry
    limiter: RateLimit


def get_control(request: Request) -> Control:
    control: Control = request.app.state.control
    return control
