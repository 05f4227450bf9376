#!/usr/bin/env bash
# `make down`: stops what `make up` started, and only that: the processes named by its pid files
# (demo, up.sh, supervisord and every process supervisord reported spawning) and the local Kafka broker.
set -euo pipefail
cd "$(dirname "$0")/../.."
STATE="${STORELINK_STATE:-$PWD/.state}"
LOCAL="$STATE/local"

log() { printf 'down: %s\n' "$*" >&2; }

pid_of() { [[ -s "$1" ]] && tr -dc '0-9' <"$1"; }

# Sends SIGTERM, waits up to $2 seconds, then SIGKILL. Only if the pid still runs what we started
# (its command line contains $3), so a reused pid is never touched.
stop_pid() {
  local pid="$1" wait_s="$2" marker="$3" i
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 0
  if [[ -r "/proc/$pid/cmdline" ]] && ! tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "$marker"; then
    log "pid $pid is not ours any more ($marker); left alone"
    return 0
  fi
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < wait_s * 10; i++)); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  log "pid $pid still alive after ${wait_s}s; SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
}

if [[ -d "$LOCAL" ]]; then
  stop_pid "$(pid_of "$LOCAL/demo.pid" || true)" 10 "deploy/local/demo.py"
  if [[ "$(pid_of "$LOCAL/up.pid" || true)" != "$PPID" ]]; then
    stop_pid "$(pid_of "$LOCAL/up.pid" || true)" 5 "deploy/local/up.sh"
  fi
  # The pids supervisord reported ("spawned: '<name>' with pid N"), read before it goes: a process
  # it could not stop (or all of them, when supervisord itself was killed) is stopped here.
  children=()
  if [[ -f "$LOCAL/supervisord.log" ]]; then
    mapfile -t children < <(sed -n "s/.*spawned: '[a-z0-9.-]*' with pid \([0-9]*\).*/\1/p" "$LOCAL/supervisord.log")
  fi
  # supervisord stops each process (SIGTERM, SIGKILL after stopwaitsecs), then itself.
  supervisord_pid="$(pid_of "$LOCAL/supervisord.pid" || true)"
  if [[ -n "$supervisord_pid" ]] && kill -0 "$supervisord_pid" 2>/dev/null && [[ -f "$LOCAL/supervisord.conf" ]]; then
    "$PWD/.venv/bin/supervisorctl" -c "$LOCAL/supervisord.conf" shutdown >/dev/null 2>&1 || true
  fi
  stop_pid "$supervisord_pid" 60 "supervisord"
  for pid in "${children[@]}"; do stop_pid "$pid" 25 "storelink_kit.launch"; done
  rm -f "$LOCAL/demo.pid" "$LOCAL/up.pid" "$LOCAL/supervisord.pid"
fi
bash deploy/local/kafka.sh stop
log "stopped"
