#!/usr/bin/env bash
# List-with-query latency on a namespace of N runs (default 100 000): a private PostgreSQL, the bootstrap, a seeded
# run table with typed search attributes, the real server, and timed GET /api/workflows?query=... requests.
# Usage: infra/local/visibility-bench.sh [RUNS] [REQUESTS_PER_QUERY]. Needs the solution built (dotnet build).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
here="$root/infra/local"
runs=${1:-100000}
requests=${2:-30}

# shellcheck source=free-port.sh
. "$here/free-port.sh"

state=$(mktemp -d /tmp/dw-visibility.XXXXXX)
chmod 755 "$state"
pg_port=$(free_port 55533)
api_port=$(free_port 7171)
api_pid=""
cleanup() {
  [ -n "$api_pid" ] && kill "$api_pid" 2>/dev/null && wait "$api_pid" 2>/dev/null
  "$here/pg.sh" stop "$state/postgres" "$pg_port"
  rm -rf "$state"
}
trap cleanup EXIT INT TERM

"$here/pg.sh" init "$state/postgres" "$pg_port" >/dev/null
"$here/pg.sh" start "$state/postgres" "$pg_port" >/dev/null
psql() { command psql -h 127.0.0.1 -p "$pg_port" -U postgres -v ON_ERROR_STOP=1 -qtA "$@"; }
psql -c "CREATE DATABASE dw_bench"
export DW_DB_CONNECTION="Host=127.0.0.1;Port=$pg_port;Database=dw_bench;Username=postgres"
export DW_AUTH_DRIVER=none
dotnet "$root/dbup/bin/Debug/net10.0/DurableWorkflow.Bootstrap.dll" >/dev/null

echo "Seeding $runs runs ..."
psql -d dw_bench <<SQL
INSERT INTO search_attribute_definitions (namespace, name, type)
VALUES ('default', 'CustomerId', 'keyword'), ('default', 'Region', 'keyword'), ('default', 'Amount', 'int'), ('default', 'DueAt', 'datetime');
INSERT INTO workflow_instances (id, namespace, workflow_type, current_run_id, run_count)
SELECT 'wf-' || g, 'default', 'orders.process', lpad(g::text, 26, '0'), 1 FROM generate_series(1, $runs) g;
INSERT INTO workflow_runs (id, namespace, workflow_instance_id, run_number, workflow_type, business_key, task_queue, status,
                           search_attributes, started_at, sort_at, closed_at)
SELECT lpad(g::text, 26, '0'), 'default', 'wf-' || g, 1, CASE WHEN g % 10 = 0 THEN 'orders.refund' ELSE 'orders.process' END,
       'order-' || g, 'orders', CASE WHEN g % 3 = 0 THEN 'completed' ELSE 'running' END,
       jsonb_build_object('CustomerId', 'cust-' || (g % 1000), 'Region', 'region-' || (g % 5), 'Amount', g % 100000,
                          'DueAt', to_char(timestamptz '2026-01-01' + g * interval '1 minute', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')),
       timestamptz '2026-01-01' + g * interval '1 second', timestamptz '2026-01-01' + g * interval '1 second',
       CASE WHEN g % 3 = 0 THEN timestamptz '2026-01-02' + g * interval '1 second' END
  FROM generate_series(1, $runs) g;
INSERT INTO workflow_search_attribute_values (run_id, namespace, name, keyword_value, number_value, time_value)
SELECT lpad(g::text, 26, '0'), 'default', a.name, a.k, a.n, a.t
  FROM generate_series(1, $runs) g,
       LATERAL (VALUES ('CustomerId', 'cust-' || (g % 1000), NULL::numeric, NULL::timestamptz),
                       ('Region', 'region-' || (g % 5), NULL, NULL),
                       ('Amount', NULL, (g % 100000)::numeric, NULL),
                       ('DueAt', NULL, NULL, timestamptz '2026-01-01' + g * interval '1 minute')) a (name, k, n, t);
VACUUM ANALYZE;
SQL
echo "runs: $(psql -d dw_bench -c 'SELECT count(*) FROM workflow_runs'), attribute value rows: $(psql -d dw_bench -c 'SELECT count(*) FROM workflow_search_attribute_values')"

DW_REDIS_CONNECTION="" dotnet "$root/server/bin/Debug/net10.0/DurableWorkflow.Server.dll" --urls "http://127.0.0.1:$api_port" >"$state/server.log" 2>&1 &
api_pid=$!
url="http://127.0.0.1:$api_port"
for _ in $(seq 1 120); do curl -sf "$url/api/ready" >/dev/null && break; sleep 0.5; done

queries=(
  ''
  'order-4242'
  'CustomerId = "cust-42"'
  'CustomerId = "cust-42" AND Amount > 50000'
  'Region = "region-3"'
  'Amount >= 99990'
  'Region IN ("region-1", "region-2") AND Amount < 100'
  'DueAt > "2026-02-15T00:00:00Z" AND DueAt < "2026-02-15T01:00:00Z"'
  'CustomerId != "cust-1" AND Status = "running"'
  '(CustomerId = "cust-7" OR CustomerId = "cust-8") AND StartTime > "2026-01-01T12:00:00Z"'
)
printf '%-90s %6s %9s %9s\n' "query (page_size=50)" rows p50_ms p95_ms
for q in "${queries[@]}"; do
  encoded=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "$q")
  target="$url/api/workflows?page_size=50&query=$encoded"
  headers=(-H "X-Durable-Workflow-Control-Plane-Version: 2")
  rows=$(curl -sf "${headers[@]}" "$target" | python3 -c 'import json, sys; print(json.load(sys.stdin)["workflow_count"])')
  times=()
  for _ in $(seq 1 "$requests"); do
    times+=("$(curl -s -o /dev/null -w '%{time_total}' "${headers[@]}" "$target")")
  done
  printf '%s\n' "${times[@]}" | sort -n | awk -v q="${q:-<none>}" -v rows="$rows" '{ t[NR] = $1 * 1000 }
    END { printf "%-90s %6s %9.1f %9.1f\n", q, rows, t[int((NR + 1) / 2)], t[int(NR * 0.95 + 0.5)] }'
done
