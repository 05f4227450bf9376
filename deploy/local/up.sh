#!/usr/bin/env bash
# `make up` without Docker: a local Kafka broker, the topics, every service and simulator of
# deploy/services.toml as a process under honcho (SQLite under the state dir), then the demo
# (deploy/local/demo.py) that wires a demo tenant and shows live what happens. Ctrl-C or
# `make down` stops everything it started, and only that (pid files under $STORELINK_STATE/local).
#
# Environment:
#   STORELINK_STATE        state dir (default ./.state): Kafka data, SQLite files, logs, pid files
#   KAFKA_PORT             Kafka port (default 9092)
#   STORELINK_PORT_OFFSET  added to every service port of services.toml (default 0)
#   UP_TIMEOUT             seconds to wait for every process to answer its health check (default 120)
#   STORELINK_DEMO         1 (default): run the demo in the foreground; 0: start the stack and return
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT="$PWD"
STATE="${STORELINK_STATE:-$ROOT/.state}"
mkdir -p "$STATE"
STATE="$(cd "$STATE" && pwd)"
export STORELINK_STATE="$STATE"
LOCAL="$STATE/local"
PY="$ROOT/.venv/bin/python"
RENDER=("$PY" "$ROOT/deploy/render.py")
mkdir -p "$LOCAL" "$STATE/db"

log() { printf 'up: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

alive() { [[ -s "$1" ]] && kill -0 "$(tr -dc '0-9' <"$1")" 2>/dev/null; }

if alive "$LOCAL/honcho.pid"; then
  die "already running (honcho pid $(cat "$LOCAL/honcho.pid")); run 'make down' first"
fi
echo $$ >"$LOCAL/up.pid"

# 1. Every process of the list must be installed: say which is missing instead of half a stack.
missing="$("${RENDER[@]}" health | while read -r name module _url; do
  "$PY" -c "import importlib.util as u, sys; sys.exit(u.find_spec('$module') is None or u.find_spec('$module.__main__') is None)" \
    2>/dev/null || printf '%s (%s) ' "$name" "$module"
done)"
if [[ -n "$missing" ]]; then
  rm -f "$LOCAL/up.pid"
  die "not installed or without __main__.py: ${missing}-- every entry of deploy/services.toml must be an installed workspace package runnable as 'python -m <module>' (run 'make install')"
fi

# 2. Kafka and the topics.
export KAFKA_PORT="${KAFKA_PORT:-9092}"
eval "$(bash deploy/local/kafka.sh start)"
export STORELINK_KAFKA_BOOTSTRAP_SERVERS="$KAFKA_BOOTSTRAP_SERVERS"
"$ROOT/.venv/bin/storelink" topics create

# 3. Secrets: made once per state dir, kept there (mode 600), never printed.
SECRETS="$LOCAL/secrets.env"
touch "$SECRETS" && chmod 600 "$SECRETS"
for var in $("${RENDER[@]}" secrets); do
  grep -q "^${var}=" "$SECRETS" && continue
  if [[ "$var" == "STORELINK_SECRET_KEY" ]]; then
    value="$("$PY" -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')"
  else
    value="$("$PY" -c 'import secrets; print(secrets.token_urlsafe(32))')"
  fi
  printf '%s=%s\n' "$var" "$value" >>"$SECRETS"
done

# 4. The Procfile and the environment, generated from deploy/services.toml.
"${RENDER[@]}" procfile --python "$PY" >"$LOCAL/Procfile"
{
  "${RENDER[@]}" env --state "$STATE"
  printf 'STORELINK_KAFKA_BOOTSTRAP_SERVERS=%s\n' "$KAFKA_BOOTSTRAP_SERVERS"
  cat "$SECRETS"
} >"$LOCAL/honcho.env"
chmod 600 "$LOCAL/honcho.env"

# 5. honcho runs every process; in its own session so a Ctrl-C here reaches it only through down.sh.
: >"$LOCAL/honcho.log"
nohup setsid bash -c 'echo $$ >"$0"; exec "$@"' "$LOCAL/honcho.pid" \
  "$ROOT/.venv/bin/honcho" --no-colour -f "$LOCAL/Procfile" -e "$LOCAL/honcho.env" -d "$ROOT" start \
  >>"$LOCAL/honcho.log" 2>&1 </dev/null &
disown || true

cleanup() { trap - INT TERM; bash "$ROOT/deploy/local/down.sh"; exit 0; }
trap cleanup INT
trap 'exit 0' TERM  # sent by down.sh, which is already cleaning up

# 6. Wait until every process answers.
deadline=$((SECONDS + ${UP_TIMEOUT:-120}))
while read -r name _module url; do
  until "$PY" - "$url" <<'PY' 2>/dev/null
import sys, urllib.request
with urllib.request.urlopen(sys.argv[1], timeout=2) as r:
    sys.exit(0 if r.status < 500 else 1)
PY
  do
    if ! alive "$LOCAL/honcho.pid" || (( SECONDS > deadline )); then
      log "$name did not come up at $url; last lines of $LOCAL/honcho.log:"
      tail -n 40 "$LOCAL/honcho.log" >&2
      bash "$ROOT/deploy/local/down.sh"
      exit 1
    fi
    sleep 0.5
  done
  log "$name is up ($url)"
done < <("${RENDER[@]}" health)
log "all processes are up (logs: $LOCAL/honcho.log)"

# 7. The demo, in the foreground, until Ctrl-C or `make down`.
if [[ "${STORELINK_DEMO:-1}" == "0" ]]; then
  log "stack running; 'make down' stops it"
  exit 0
fi
set -a; source "$LOCAL/honcho.env"; set +a
"$PY" deploy/local/demo.py --state "$STATE" &
echo $! >"$LOCAL/demo.pid"
wait "$(cat "$LOCAL/demo.pid")" || true
