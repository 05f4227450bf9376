#!/usr/bin/env bash
# `make down`: stops what `make up` started (only processes from its own pid files).
set -euo pipefail
cd "$(dirname "$0")/../.."
bash deploy/local/kafka.sh stop
