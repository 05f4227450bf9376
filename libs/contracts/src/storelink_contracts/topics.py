"""Topic names, keys, partition counts and retention: the one place they are defined.

Names are configuration: a deployment (or a test) may put a prefix in front of every name, so
several independent hubs or test runs can share one cluster.
"""

from __future__ import annotations

from dataclasses import dataclass, field

DLQ_SUFFIX = ".dlq"


@dataclass(frozen=True, slots=True)
class TopicSpec:
    id: str
    name: str
    key: str
    partitions: int
    compacted: bool = False
    description: str = ""
    events: tuple[str, ...] = field(default_factory=tuple)

    @property
    def dlq(self) -> str:
        return self.name + DLQ_SUFFIX

    def config(self) -> dict[str, str]:
        """Topic-level configuration to create it with."""
        if self.compacted:
            return {"cleanup.policy": "compact", "min.compaction.lag.ms": "60000"}
        return {"cleanup.policy": "delete", "retention.ms": str(14 * 24 * 3600 * 1000)}


TOPICS: dict[str, TopicSpec] = {
    spec.id: spec
    for spec in (
        TopicSpec(
            id="orders",
            name="storelink.orders",
            key="connection_id:external_order_id",
            partitions=12,
            description="Full order snapshots from the shop connectors.",
            events=("storelink.order.received.v1",),
        ),
        TopicSpec(
            id="attention",
            name="storelink.attention",
            key="connection_id:external_order_id",
            partitions=3,
            description="Orders that need a person (or newer data) before they can be mapped.",
            events=("storelink.order.needs-attention.v1",),
        ),
        TopicSpec(
            id="documents",
            name="storelink.documents",
            key="connection_id:external_order_id",
            partitions=12,
            description="Documents the mapper asks the ERP adapters to create.",
            events=("storelink.document.requested.v1",),
        ),
        TopicSpec(
            id="document_results",
            name="storelink.document-results",
            key="connection_id:external_order_id",
            partitions=6,
            description="What the ERP adapters did with each requested document.",
            events=("storelink.document.created.v1", "storelink.document.failed.v1"),
        ),
        TopicSpec(
            id="doorbells",
            name="storelink.doorbells",
            key="connection_id",
            partitions=12,
            description="Connector work per connection (webhook doorbells, pending pushes); the replica "
            "that owns a connection's partition does it.",
            events=("storelink.connector.doorbell.v1",),
        ),
        TopicSpec(
            id="stock",
            name="storelink.stock",
            key="tenant_id:warehouse:sku",
            partitions=12,
            description="Absolute stock levels from the ERP (or produced by the ERP itself).",
            events=("storelink.stock.changed.v1",),
        ),
        TopicSpec(
            id="prices",
            name="storelink.prices",
            key="tenant_id:price_list:sku",
            partitions=12,
            description="Prices per price list from the ERP (or produced by the ERP itself).",
            events=("storelink.price.changed.v1",),
        ),
        TopicSpec(
            id="connections",
            name="storelink.connections",
            key="connection_id",
            partitions=3,
            compacted=True,
            description="The latest settings of every connection (compacted).",
            events=("storelink.connection.configured.v1", "storelink.connection.removed.v1"),
        ),
    )
}


@dataclass(frozen=True, slots=True)
class TopicNames:
    """Resolved topic names for one deployment or one test (an optional common prefix)."""

    prefix: str = ""

    def name(self, topic_id: str) -> str:
        return self.prefix + TOPICS[topic_id].name

    def dlq(self, topic_id: str) -> str:
        return self.name(topic_id) + DLQ_SUFFIX

    @property
    def orders(self) -> str:
        return self.name("orders")

    @property
    def attention(self) -> str:
        return self.name("attention")

    @property
    def documents(self) -> str:
        return self.name("documents")

    @property
    def document_results(self) -> str:
        return self.name("document_results")

    @property
    def doorbells(self) -> str:
        return self.name("doorbells")

    @property
    def stock(self) -> str:
        return self.name("stock")

    @property
    def prices(self) -> str:
        return self.name("prices")

    @property
    def connections(self) -> str:
        return self.name("connections")

    def all(self) -> list[tuple[str, TopicSpec]]:
        """Every topic with its resolved name, DLQs included (same partitions, never compacted)."""
        out: list[tuple[str, TopicSpec]] = []
        for spec in TOPICS.values():
            out.append((self.prefix + spec.name, spec))
            dlq = TopicSpec(
                id=spec.id + ".dlq",
                name=spec.name + DLQ_SUFFIX,
                key=spec.key,
                partitions=1,
                description=f"Dead letters of {spec.name}.",
            )
            out.append((self.prefix + dlq.name, dlq))
        return out
