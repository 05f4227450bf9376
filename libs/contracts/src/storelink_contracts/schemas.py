"""JSON Schema per event and an AsyncAPI 3.0 document, for teams that produce events without Python."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from storelink_contracts.envelope import (
    CONTENT_TYPE,
    H_CAUSATION,
    H_CORRELATION,
    H_ID,
    H_ORIGIN,
    H_SOURCE,
    H_SPECVERSION,
    H_TENANT,
    H_TIME,
    H_TYPE,
)
from storelink_contracts.events import ALL_EVENTS
from storelink_contracts.topics import TOPICS

SCHEMA_BASE_URI = "https://storelink.dev/schemas/"


def event_schema(event: type[Any]) -> dict[str, Any]:
    """The event's JSON Schema (draft 2020-12), with only standard keywords.

    Where the event goes (CloudEvents type, topic, key) is said in the description for people and
    in asyncapi.json for tools: a custom `x-` keyword is an error for a strict validator (Ajv's
    strict mode refuses unknown keywords).
    """
    schema: dict[str, Any] = event.model_json_schema(mode="validation")
    spec = TOPICS[event.topic]
    where = f"CloudEvents type `{event.event_type}`, on topic `{spec.name}` with key `{spec.key}`."
    schema["description"] = f"{schema['description']}\n\n{where}" if schema.get("description") else where
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = SCHEMA_BASE_URI + event.event_type + ".json"
    return schema


def _headers_schema(event_type: str) -> dict[str, Any]:
    def text(desc: str) -> dict[str, str]:
        return {"type": "string", "description": desc}

    return {
        "type": "object",
        "required": [H_ID, H_TYPE, H_SOURCE, H_TIME, H_SPECVERSION, H_TENANT],
        "properties": {
            H_ID: text("Unique event id (UUID)."),
            H_TYPE: {"type": "string", "const": event_type},
            H_SOURCE: text("Who produced it, e.g. erp/metakocka or your own system's URI."),
            H_TIME: text("RFC 3339 time of the event."),
            H_SPECVERSION: {"type": "string", "const": "1.0"},
            H_TENANT: text("Tenant id; must equal tenant_id in the body."),
            H_CORRELATION: text("Id shared by every event of one flow (defaults to ce_id)."),
            H_CAUSATION: text("ce_id of the event that caused this one."),
            H_ORIGIN: text("Connection id whose own write caused this (echo suppression)."),
            "content-type": {"type": "string", "const": CONTENT_TYPE},
        },
    }


def asyncapi_document() -> dict[str, Any]:
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for spec in TOPICS.values():
        channel_messages = {}
        for event in ALL_EVENTS:
            if event.topic != spec.id:
                continue
            name = event.__name__
            messages[name] = {
                "name": name,
                "title": event.event_type,
                "summary": (event.__doc__ or "").strip().splitlines()[0] if event.__doc__ else name,
                "contentType": CONTENT_TYPE,
                "headers": _headers_schema(event.event_type),
                "payload": {"$ref": f"schemas/{event.event_type}.json"},
                "bindings": {"kafka": {"key": {"type": "string", "description": spec.key}}},
            }
            channel_messages[name] = {"$ref": f"#/components/messages/{name}"}
        channels[spec.id] = {
            "address": spec.name,
            "description": spec.description,
            "messages": channel_messages,
            "bindings": {
                "kafka": {
                    "topic": spec.name,
                    "partitions": spec.partitions,
                    "topicConfiguration": {"cleanup.policy": ["compact"] if spec.compacted else ["delete"]},
                }
            },
        }
        operations[f"publish_{spec.id}"] = {
            "action": "send",
            "channel": {"$ref": f"#/channels/{spec.id}"},
            "messages": [{"$ref": f"#/channels/{spec.id}/messages/{m}"} for m in channel_messages],
        }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Storelink events",
            "version": "1.0.0",
            "description": (
                "Events exchanged by Storelink services over Apache Kafka. Record value: the "
                "event JSON (money as decimal strings). CloudEvents attributes travel as ce_* "
                "headers (binary content mode). An ERP can produce StockChanged and PriceChanged "
                "to the stock and prices topics directly."
            ),
        },
        "defaultContentType": CONTENT_TYPE,
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages},
    }


def render_all() -> dict[str, str]:
    """Relative path under docs/ → file text, for every generated document."""
    files = {
        f"schemas/{event.event_type}.json": json.dumps(event_schema(event), indent=2) + "\n"
        for event in ALL_EVENTS
    }
    files["asyncapi.json"] = json.dumps(asyncapi_document(), indent=2) + "\n"
    return files


def write_all(docs_dir: Path) -> list[Path]:
    written = []
    for rel, text in render_all().items():
        path = docs_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        written.append(path)
    return written
