#!/usr/bin/env bash
# `make up` without Docker: a local Kafka broker, the topics, every service and simulator of
# deploy/services.toml as a process under supervisord (SQLite under the state dir), then the demo
# (deploy/local/demo.py) that wires a demo tenant and shows live what happens. Ctrl-C or
# `make down` stops everything it started, and only that (pid files under $STORELINK_STATE/local).
#
# supervisord, not honcho: honcho (like foreman) stops every process when one exits, simulators
# included; supervisord restarts the one that died (with backoff when it dies again at once) and
# leaves the others running. `.venv/bin/supervisorctl -c $STORELINK_STATE/local/supervisord.conf
# status` shows each process; logs are $STORELINK_STATE/local/logs/<name>.log and supervisord.log.
#
# Environment:
#   STORELINK_STATE        state dir (default ./.state): Kafka data, SQLite files, logs, pid files
#   KAFKA_PORT             Kafka port (default 9092)
#   STORELINK_PORT_OFFSET  added to every service port of services.toml (default 0)
#   STORELINK_REPLICAS     copies of every hub service (default 1); copy i (from 0) answers on its
#                          port + 200 * i and is named <name>-<i+1> (deploy/render.py local_processes)
#   UP_TIMEOUT             seconds to wait for every process to answer its health check (default 120)
#   STORELINK_DEMO         1 (default): run the demo in the foreground; 0: start the stack and return
#   STORELINK_ENV_FILE     optional KEY=VALUE file read after the generated environment, so its values
#                          win (tests tune timeouts this way)
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

if alive "$LOCAL/supervisord.pid"; then
  die "already running (supervisord pid $(cat "$LOCAL/supervisord.pid")); run 'make down' first"
fi
echo $$ >"$LOCAL/up.pid"

# 1. Every process of the list must be installed: say which is missing instead of half a stack.
missing="$("${RENDER[@]}" health | while read -r name module _url; do
  "$PY" -c 'import sys; from storelink_kit.launch import unrunnable; sys.exit(unrunnable(sys.argv[1]) is not None)' \
    "$module" 2>/dev/null || printf '%s (%s) ' "$name" "$module"
done)"
if [[ -n "$missing" ]]; then
  rm -f "$LOCAL/up.pid"
  die "not installed or without __main__.py: ${missing}-- every entry of deploy/services.toml must be an installed workspace package runnable as 'python -m <module>' (run 'make install')"
fi

# 2. Kafka and the topics.
export KAFKA_PORT="${KAFKA_PORT:-9092}"
kafka_env="$(bash deploy/local/kafka.sh start)" || die "the Kafka broker did not start (kafka.sh said why above)"
eval "$kafka_env"
export STORELINK_KAFKA_BOOTSTRAP_SERVERS="$KAFKA_BOOTSTRAP_SERVERS"
"$ROOT/.venv/bin/storelink" topics create

# 3. Secrets: made once per state dir, kept there (mode 600), never printed.
SECRETS="$LOCAL/secrets.env"
touch "$SECRETS" && chmod 600 "$SECRETS"
for var in $("${RENDER[@]}" secrets); do
  grep -q "^${var}=" "$SECRETS" && continue
  value="$("${RENDER[@]}" secret-value "$var")"  # Fernet key, random token, or its services.toml template
  printf "%s='%s'\n" "$var" "$value" >>"$SECRETS"  # quoted: a JSON value survives `source`
done

# 4. The supervisord config and the environment, generated from deploy/services.toml.
"${RENDER[@]}" supervisord --state "$STATE" --python "$PY" >"$LOCAL/supervisord.conf"
{
  "${RENDER[@]}" env --state "$STATE"
  printf 'STORELINK_KAFKA_BOOTSTRAP_SERVERS=%s\n' "$KAFKA_BOOTSTRAP_SERVERS"
  cat "$SECRETS"
  if [[ -n "${STORELINK_ENV_FILE:-}" ]]; then cat "$STORELINK_ENV_FILE"; fi
} >"$LOCAL/stack.env"
chmod 600 "$LOCAL/stack.env"
mkdir -p "$LOCAL/logs"

# 5. supervisord runs every process with that environment; in its own session so a Ctrl-C here
# reaches it only through down.sh.
: >"$LOCAL/supervisord.out"
(
  set -a
  # shellcheck disable=SC1091
  source "$LOCAL/stack.env"
  set +a
  exec nohup setsid bash -c 'echo $$ >"$0"; exec "$@"' "$LOCAL/supervisord.pid" \
    "$ROOT/.venv/bin/supervisord" -c "$LOCAL/supervisord.conf" \
    >>"$LOCAL/supervisord.out" 2>&1 </dev/null
) &
disown || true
for _ in $(seq 100); do [[ -s "$LOCAL/supervisord.pid" ]] && break; sleep 0.1; done

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
    if ! alive "$LOCAL/supervisord.pid" || (( SECONDS > deadline )); then
      log "$name did not come up at $url; last lines of $LOCAL/logs/$name.log and supervisord's log:"
      tail -n 40 "$LOCAL/logs/$name.log" >&2 2>/dev/null || true
      tail -n 20 "$LOCAL/supervisord.log" "$LOCAL/supervisord.out" >&2 2>/dev/null || true
      bash "$ROOT/deploy/local/down.sh"
      exit 1
    fi
    sleep 0.5
  done
  log "$name is up ($url)"
done < <("${RENDER[@]}" health)
log "all processes are up (logs: $LOCAL/logs/; restarts: $LOCAL/supervisord.log)"
console_url="$("${RENDER[@]}" health | awk '$1 == "control" { sub("/healthz$", "", $3); print $3 }')/console"
printf 'Console: %s\n  sign in with the operator token: STORELINK_CONTROL_OPERATOR_TOKEN in %s\n  (e.g. grep OPERATOR_TOKEN %s)\n' \
  "$console_url" "$SECRETS" "$SECRETS"

# 7. The demo, in the foreground, until Ctrl-C or `make down`.
if [[ "${STORELINK_DEMO:-1}" == "0" ]]; then
  log "stack running; 'make down' stops it"
  exit 0
fi
set -a; source "$LOCAL/stack.env"; set +a
"$PY" deploy/local/demo.py --state "$STATE" &
echo $! >"$LOCAL/demo.pid"
wait "$(cat "$LOCAL/demo.pid")" || true
