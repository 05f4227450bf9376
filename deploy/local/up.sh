#!/usr/bin/env bash
# `make up` without Docker: a local Kafka broker, the topics, then the stack (grows with services).
set -euo pipefail
cd "$(dirname "$0")/../.."
export KAFKA_PORT="${KAFKA_PORT:-9092}"
eval "$(bash deploy/local/kafka.sh start)"
export STORELINK_KAFKA_BOOTSTRAP_SERVERS="$KAFKA_BOOTSTRAP_SERVERS"
.tools/bin/uv run --frozen --no-sync storelink topics create
echo "Kafka is up at $KAFKA_BOOTSTRAP_SERVERS. Press Ctrl-C to stop (or run 'make down')."
trap 'bash deploy/local/down.sh; exit 0' INT TERM
while bash deploy/local/kafka.sh status >/dev/null 2>&1; do sleep 2; done
