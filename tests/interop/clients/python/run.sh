#!/usr/bin/env bash
# Runs one client program against a fresh in-memory klamm broker.
# Usage: run.sh <program.py> [prefix]     (KLAMM=path/to/klamm to override the binary)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
klamm="${KLAMM:-$here/../../../../target/release/klamm}"
prog="$1"; prefix="${2:-it$$}"
log="$(mktemp -t klamm-XXXXXX.log)"
"$klamm" --listeners 127.0.0.1:0 --in-memory >"$log" 2>&1 &
broker=$!
trap 'kill "$broker" 2>/dev/null || true; wait "$broker" 2>/dev/null || true' EXIT
addr=""
for _ in $(seq 100); do
  addr="$(grep -m1 -o 'listening on [0-9.:]*' "$log" | awk '{print $3}' || true)"
  [ -n "$addr" ] && break
  sleep 0.1
done
[ -n "$addr" ] || { echo "klamm did not start; log: $log" >&2; exit 1; }
echo "klamm at $addr (pid $broker, log $log)" >&2
timeout 150 python3 "$here/$(basename "$prog")" "$addr" "$prefix"
