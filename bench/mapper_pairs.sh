#!/usr/bin/env bash
# Mapper throughput, before vs after: alternate `bench/bench_mapper.py --mapper-only` runs of commit
# BASE (a temporary git worktree, its sources first on PYTHONPATH) and of this working tree, on one
# broker (left running: `deploy/local/kafka.sh stop`). Usage: bench/mapper_pairs.sh BASE [PAIRS=3]
# [ORDERS=50000]. Prints one line per run.
set -euo pipefail
base=${1:?usage: bench/mapper_pairs.sh BASE [PAIRS] [ORDERS]}
pairs=${2:-3}
orders=${3:-50000}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
old=$(mktemp -d)
trap 'git worktree remove --force "$old" >/dev/null 2>&1 || true' EXIT
git worktree add --detach "$old" "$base" >/dev/null
set -a
eval "$(bash deploy/local/kafka.sh start)"
set +a
old_path=$(ls -d "$old"/libs/*/src "$old"/services/*/src | tr '\n' ':')
for i in $(seq 1 "$pairs"); do
  printf 'pair %s before (%s): ' "$i" "$base"
  PYTHONPATH=$old_path .venv/bin/python "$old/bench/bench_mapper.py" --mapper-only --orders "$orders" 2>/dev/null \
    | grep '^mapper' | sed 's/; counters.*//'
  printf 'pair %s after (working tree): ' "$i"
  .venv/bin/python bench/bench_mapper.py --mapper-only --orders "$orders" 2>/dev/null \
    | grep '^mapper' | sed 's/; counters.*//'
done
