#!/usr/bin/env bash
# Statements per engine transition of a one-activity workflow, from pg_stat_statements (track=all), against one
# server node built in Debug (dotnet build DurableWorkflow.sln) on a scratch database that is dropped afterwards.
# Needs a PostgreSQL with shared_preload_libraries='pg_stat_statements' and pg_stat_statements.track=all:
#   TC_PG_PORT=<port> [TC_REDIS=127.0.0.1:<port>] [TC_HTTP_PORT=58540] bash infra/local/transition-counts.sh [N] [--verbose]
# Each transition is measured alone (reset, one request, read). Background statements of the idle node (timer pump,
# deadline sweep, their pooled-connection resets) land in the windows too; the "idle" row shows their size.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
port=${TC_PG_PORT:?TC_PG_PORT: port of a PostgreSQL with pg_stat_statements}
http=${TC_HTTP_PORT:-58540}
db=dw_tc_$(date +%s)
log=$(mktemp -d /tmp/dw-tc.XXXXXX)
psql -h 127.0.0.1 -p "$port" -U postgres -qc "CREATE DATABASE $db"
cleanup() {
  [ -n "${spid:-}" ] && kill "$spid" 2>/dev/null && wait "$spid" 2>/dev/null
  psql -h 127.0.0.1 -p "$port" -U postgres -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" || true
  rm -rf "$log"
}
trap cleanup EXIT INT TERM
psql -h 127.0.0.1 -p "$port" -U postgres -d "$db" -qc "CREATE EXTENSION IF NOT EXISTS pg_stat_statements"
export DW_DB_CONNECTION="Host=127.0.0.1;Port=$port;Username=postgres;Database=$db"
dotnet "$root/dbup/bin/Debug/net10.0/DurableWorkflow.Bootstrap.dll" >"$log/dbup.log" 2>&1
DW_AUTH_TOKEN=t DW_SCHEDULER_ENABLED=false DW_REDIS_CONNECTION=${TC_REDIS:-} \
  dotnet "$root/server/bin/Debug/net10.0/DurableWorkflow.Server.dll" --urls "http://127.0.0.1:$http" >"$log/server.log" 2>&1 &
spid=$!
for _ in $(seq 120); do curl -sf "http://127.0.0.1:$http/api/ready" >/dev/null && break; sleep 0.5; done
python3 "$root/infra/local/transition-counts.py" "http://127.0.0.1:$http" "$port" "$db" "$@"
