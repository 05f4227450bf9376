"""deploy/k8s: every overlay builds with kubectl kustomize and validates against pinned Kubernetes schemas."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from storelink_contracts import TOPICS, TopicNames
from storelink_kit.settings import ServiceSettings

ROOT = Path(__file__).resolve().parents[3]
OVERLAYS = ("dev", "prod", "strimzi")
K8S_VERSION = "1.34.0"  # pinned: the oldest version we support; its schemas ship in kubernetes-validate
# The subset of Strimzi's KafkaTopic (kafka.strimzi.io/v1beta2) we use; no Strimzi CRD schema ships in
# a package we can install, so this is written from Strimzi's documented KafkaTopic spec.
KAFKA_TOPIC_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["apiVersion", "kind", "metadata", "spec"],
    "properties": {
        "apiVersion": {"const": "kafka.strimzi.io/v1beta2"},
        "kind": {"const": "KafkaTopic"},
        "metadata": {
            "type": "object",
            "required": ["name", "labels"],
            "properties": {
                "name": {"type": "string", "pattern": r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$", "maxLength": 253},
                "labels": {"type": "object", "required": ["strimzi.io/cluster"]},
            },
        },
        "spec": {
            "type": "object",
            "additionalProperties": False,
            "required": ["partitions", "replicas"],
            "properties": {
                "topicName": {"type": "string"},
                "partitions": {"type": "integer", "minimum": 1},
                "replicas": {"type": "integer", "minimum": 1, "maximum": 32767},
                "config": {
                    "type": "object",
                    "additionalProperties": {"type": ["string", "integer", "boolean"]},
                },
            },
        },
    },
}


def _build(tool: Callable[[str], str], overlay: str) -> list[dict[str, Any]]:
    result = subprocess.run(
        [tool("kubectl"), "kustomize", str(ROOT / "deploy" / "k8s" / "overlays" / overlay)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return [d for d in yaml.safe_load_all(result.stdout) if d]


@pytest.fixture(scope="module")
def built(tool: Callable[[str], str]) -> dict[str, list[dict[str, Any]]]:
    return {overlay: _build(tool, overlay) for overlay in OVERLAYS}


def _of(docs: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_overlay_validates_against_the_pinned_kubernetes_schemas(
    built: dict[str, list[dict[str, Any]]], overlay: str
) -> None:
    docs = built[overlay]
    assert docs
    for doc in docs:
        if doc["kind"] == "KafkaTopic":
            jsonschema.validate(doc, KAFKA_TOPIC_SCHEMA)
        else:
            kubernetes_validate.validate(doc, K8S_VERSION, strict=True)


def test_validation_is_not_vacuous() -> None:
    bad = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "x"},
        "spec": {"replicas": "two", "selector": {}, "template": {"spec": {"containers": []}}, "oops": 1},
    }
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(bad, K8S_VERSION, strict=True)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_service_is_deployed_hardened_and_probed(
    built: dict[str, list[dict[str, Any]]], overlay: str, render: ModuleType
) -> None:
    docs = built[overlay]
    hub = [s for s in render.load() if not s.simulator]
    graceful = ServiceSettings().graceful_timeout_seconds
    deployments = _of(docs, "Deployment")
    assert set(deployments) == {s.name for s in hub}, "simulators never run in Kubernetes"
    for kind in ("Service", "HorizontalPodAutoscaler", "PodDisruptionBudget", "NetworkPolicy"):
        assert {s.name for s in hub} <= set(_of(docs, kind)), kind
    for s in hub:
        pod = deployments[s.name]["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"
        assert pod["automountServiceAccountToken"] is False
        (container,) = pod["containers"]
        sc = container["securityContext"]
        assert sc["readOnlyRootFilesystem"] is True
        assert sc["allowPrivilegeEscalation"] is False
        assert sc["capabilities"]["drop"] == ["ALL"]
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert container["ports"][0]["containerPort"] == s.port
        assert set(container["resources"]) == {"requests", "limits"}
        env = {e["name"]: e for e in container["env"]}
        assert env["STORELINK_SERVICE"]["value"] == s.name
        assert env[f"{s.env_prefix}HTTP_PORT"]["value"] == str(s.port)
        # Grace period: the consumers' graceful stop plus the preStop pause, with room to spare.
        timeout = float(env[f"{s.env_prefix}GRACEFUL_TIMEOUT_SECONDS"]["value"])
        assert timeout == graceful
        pre_stop = container["lifecycle"]["preStop"]["sleep"]["seconds"]
        assert pod["terminationGracePeriodSeconds"] > timeout + pre_stop
        for var, key in s.secret_env().items():
            assert env[var]["valueFrom"]["secretKeyRef"] == {"name": "storelink-secrets", "key": key}
        if s.database:
            assert s.secret_env()[f"{s.env_prefix}DATABASE_URL"] == s.secret_db_key
        assert ("STORELINK_SECRET_KEY" in env) == s.secret_key
        assert not any("{url:" in str(e.get("value", "")) for e in env.values())
        hpa = _of(docs, "HorizontalPodAutoscaler")[s.name]["spec"]
        assert 1 <= hpa["minReplicas"] <= hpa["maxReplicas"]
        policy = _of(docs, "NetworkPolicy")[s.name]["spec"]
        assert policy["policyTypes"] == ["Ingress", "Egress"]
        egress_ports = {p["port"] for rule in policy["egress"] for p in rule["ports"]}
        assert (443 in egress_ports) == s.calls_out
        assert (5432 in egress_ports) == s.database


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_secrets_are_referenced_never_committed(built: dict[str, list[dict[str, Any]]], overlay: str) -> None:
    assert not _of(built[overlay], "Secret")
    (config,) = _of(built[overlay], "ConfigMap").values()
    for key in config["data"]:
        assert not any(word in key for word in ("PASSWORD", "SECRET", "TOKEN")), key


def test_overlays_differ_where_they_should(built: dict[str, list[dict[str, Any]]]) -> None:
    def config(overlay: str) -> dict[str, str]:
        (cm,) = _of(built[overlay], "ConfigMap").values()
        data: dict[str, str] = cm["data"]
        return data

    assert config("dev")["STORELINK_TOPIC_REPLICATION_FACTOR"] == "1"
    assert config("prod")["STORELINK_TOPIC_REPLICATION_FACTOR"] == "3"
    assert "strimzi" not in config("prod")["STORELINK_KAFKA_BOOTSTRAP_SERVERS"]
    assert config("strimzi")["STORELINK_KAFKA_BOOTSTRAP_SERVERS"].startswith("storelink-kafka-bootstrap.")
    for hpa in _of(built["prod"], "HorizontalPodAutoscaler").values():
        assert hpa["spec"]["minReplicas"] >= 2
    namespaces = {d["metadata"].get("namespace") for d in built["dev"] if d["kind"] != "Namespace"}
    assert namespaces == {"storelink-dev"}


def test_topic_job_everywhere_but_strimzi(built: dict[str, list[dict[str, Any]]]) -> None:
    for overlay in ("dev", "prod"):
        job = _of(built[overlay], "Job")["storelink-topics"]
        (container,) = job["spec"]["template"]["spec"]["containers"]
        assert container["command"][:3] == ["storelink", "topics", "create"]
        assert not _of(built[overlay], "KafkaTopic")
    assert not _of(built["strimzi"], "Job")
    assert "storelink-topics" not in _of(built["strimzi"], "NetworkPolicy")


def test_strimzi_topics_equal_the_contracts(built: dict[str, list[dict[str, Any]]]) -> None:
    topics = _of(built["strimzi"], "KafkaTopic")
    expected = dict(TopicNames().all())
    assert set(topics) == set(expected)
    assert {spec.name for spec in TOPICS.values()} <= set(topics)
    for name, spec in expected.items():
        doc = topics[name]
        assert doc["metadata"]["namespace"] == "kafka"
        assert doc["spec"]["topicName"] == name
        assert doc["spec"]["partitions"] == spec.partitions
        assert doc["spec"]["config"]["cleanup.policy"] == ("compact" if spec.compacted else "delete")
        for key, value in spec.config().items():
            assert doc["spec"]["config"][key] == value


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_erp_ingest_is_deployed_public_with_its_tokens_from_the_secret(
    built: dict[str, list[dict[str, Any]]], overlay: str
) -> None:
    docs = built[overlay]
    (container,) = _of(docs, "Deployment")["erp-ingest"]["spec"]["template"]["spec"]["containers"]
    env = {e["name"]: e for e in container["env"]}
    assert env["STORELINK_ERP_INGEST_TOKENS"]["valueFrom"]["secretKeyRef"] == {
        "name": "storelink-secrets",
        "key": "erp-ingest-tokens",
    }
    assert env["STORELINK_ERP_INGEST_MODULE"]["value"] == "storelink_erp_kit.ingest"
    assert "STORELINK_SECRET_KEY" not in env
    assert container["ports"][0]["containerPort"] == 8006
    policy = _of(docs, "NetworkPolicy")["erp-ingest"]["spec"]
    assert policy["ingress"] == [{"ports": [{"protocol": "TCP", "port": 8006}]}]  # an ERP calls from outside
    assert "erp-ingest-tokens" in (ROOT / "deploy" / "k8s" / "README.md").read_text()


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_ingress_routes_each_platforms_webhooks_to_its_connector(
    built: dict[str, list[dict[str, Any]]], overlay: str, render: Any
) -> None:
    """Issue 14: nothing routed /webhooks/<platform>/… to the connectors; control's webhook URLs
    (STORELINK_CONTROL_PUBLIC_BASE_URL = the Ingress's address) pointed where nothing listened."""
    docs = built[overlay]
    ingress = _of(docs, "Ingress")["storelink"]
    routes = {
        p["path"]: p["backend"]["service"]["name"]
        for rule in ingress["spec"]["rules"]
        for p in rule["http"]["paths"]
    }
    receivers = {s.webhooks: s.name for s in render.load() if s.webhooks}
    assert receivers == {"wix": "connector-wix", "shopamine": "connector-shopamine"}
    for platform, service in receivers.items():
        assert routes[f"/webhooks/{platform}/"] == service
    assert routes["/"] == "control"
    services = _of(docs, "Service")
    for name in routes.values():
        assert any(p["name"] == "http" for p in services[name]["spec"]["ports"])
    config = next(
        d for d in docs if d["kind"] == "ConfigMap" and d["metadata"]["name"].startswith("storelink-config")
    )
    assert config["data"]["STORELINK_CONTROL_PUBLIC_BASE_URL"].startswith("https://")
