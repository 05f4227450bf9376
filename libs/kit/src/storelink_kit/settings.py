"""Settings every service shares; each service subclasses `ServiceSettings` with its own env prefix."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from storelink_contracts import TopicNames


class KafkaSettings(BaseSettings):
    """How to reach Kafka; shared by every service (`STORELINK_KAFKA_*`)."""

    model_config = SettingsConfigDict(env_prefix="STORELINK_KAFKA_", extra="ignore")

    bootstrap_servers: str = "127.0.0.1:9092"
    topic_prefix: str = Field(default="", description="Put in front of every topic name")
    linger_ms: int = Field(default=5, ge=0)
    request_timeout_ms: int = Field(default=30_000, ge=1000)
    retry_backoff_ms: int = Field(
        default=1000,
        ge=10,
        description="aiokafka's pause before retrying a failed request or reconnect (its default, 100 ms, "
        "makes a broker outage write hundreds of error lines a second)",
    )
    connect_backoff_initial_seconds: float = Field(
        default=1.0, gt=0, description="First wait when Kafka is unreachable at start; doubles each attempt"
    )
    connect_backoff_max_seconds: float = Field(
        default=30.0,
        gt=0,
        description="Longest wait between start attempts (a service waits for Kafka forever)",
    )

    @property
    def topics(self) -> TopicNames:
        return TopicNames(prefix=self.topic_prefix)


class ServiceSettings(BaseSettings):
    """Per-service settings. Subclasses set `env_prefix`, e.g. `STORELINK_MAPPER_`."""

    model_config = SettingsConfigDict(env_prefix="STORELINK_SERVICE_", extra="ignore")

    service_name: str = "storelink"
    log_level: str = "INFO"
    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8080, ge=0, le=65535)
    max_retries: int = Field(default=3, ge=0, description="Retries of a transient failure")
    retry_backoff_seconds: float = Field(default=0.2, ge=0)
    retry_backoff_max_seconds: float = Field(default=5.0, ge=0)
    graceful_timeout_seconds: float = Field(default=20.0, gt=0)
    kafka: KafkaSettings = Field(default_factory=KafkaSettings)
