"""The mapper's settings (environment: STORELINK_KAFKA_*, STORELINK_MAPPER_*)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from storelink_kit.settings import ServiceSettings


class MapperSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="STORELINK_MAPPER_", extra="ignore")

    service_name: str = "mapper"
    group_id: str = "storelink-mapper"
    batch_max_records: int = Field(default=500, ge=1, description="Orders per batch at most")
    batch_timeout_ms: int = Field(default=100, ge=1, description="How long a batch may wait to fill")
    producer_batch_bytes: int = Field(
        default=512 * 1024,
        ge=16 * 1024,
        description="Producer batch size per partition (documents are ~2.5 kB)",
    )
    recency_capacity: int = Field(default=200_000, ge=1, description="Orders whose newest snapshot is kept")
    waiting_per_connection: int = Field(
        default=10_000, ge=1, description="Unmappable orders kept per connection"
    )
    gc_young_threshold: int = Field(
        default=50_000,
        ge=700,
        description="Allocations between young garbage collections (CPython's default is 700)",
    )
