#!/usr/bin/env bash
# Quick start #2: runs the whole test suite against a freshly started PostgreSQL, Redis and Azurite (blob) in a
# throwaway folder. Extra arguments go to `dotnet test` (e.g. --filter Namespace). Without arguments the
# rolling-upgrade drill (infra/local/drill.sh) runs after the tests; DW_SKIP_DRILL=1 skips it.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
here="$root/infra/local"

"$here/deps.sh" --azurite

# shellcheck source=free-port.sh
. "$here/free-port.sh"

state=$(mktemp -d /tmp/dw-test.XXXXXX)
chmod 755 "$state"
pg_port=$(free_port "${DW_TEST_PG_PORT:-55433}")
redis_port=$(free_port "${DW_TEST_REDIS_PORT:-56380}")
azurite_port=$(free_port "${DW_TEST_AZURITE_PORT:-50000}")
azurite_pid=""

cleanup() {
  if [ -n "$azurite_pid" ]; then kill "$azurite_pid" 2>/dev/null || true; wait "$azurite_pid" 2>/dev/null || true; fi
  redis-cli -h 127.0.0.1 -p "$redis_port" shutdown nosave >/dev/null 2>&1 || true
  "$here/pg.sh" stop "$state/postgres" "$pg_port"
  rm -rf "$state"
}
trap cleanup EXIT INT TERM

"$here/pg.sh" init "$state/postgres" "$pg_port"
"$here/pg.sh" start "$state/postgres" "$pg_port"
redis-server --bind 127.0.0.1 --port "$redis_port" --daemonize yes --save '' --appendonly no \
  --pidfile "$state/redis.pid" --logfile "$state/redis.log" >/dev/null
# Azurite's blob service only (what the azure payload storage driver uses); the launcher execs node, so $! is Azurite.
mkdir -p "$state/azurite"
"$root/.dw/tools/node_modules/.bin/azurite-blob" --silent --location "$state/azurite" \
  --blobHost 127.0.0.1 --blobPort "$azurite_port" --disableTelemetry --skipApiVersionCheck >"$state/azurite.log" 2>&1 &
azurite_pid=$!
for _ in $(seq 1 300); do (exec 3<>"/dev/tcp/127.0.0.1/$azurite_port") 2>/dev/null && break; sleep 0.1; done

export DW_TEST_PG="Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=postgres"
export DW_TEST_REDIS="127.0.0.1:$redis_port"
export DW_TEST_PG_TOOL="$here/pg.sh"
# Azurite's well-known development account (public, documented by Microsoft), on this run's port.
export DW_TEST_AZURITE="DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=http://127.0.0.1:$azurite_port/devstoreaccount1;"

log="$state/dotnet-test.log"
status=0
# A test that never finishes (an await nothing will complete) would otherwise hold the run until CI's own limit with
# no name; blame-hang aborts it after 5 minutes without progress and names the tests that were running.
dotnet test "$root/DurableWorkflow.sln" --blame-hang-timeout 5m --blame-hang-dump-type none "$@" 2>&1 | tee "$log" || status=$?

# The drill starts its own PostgreSQL, Redis and cluster; a --filter run stays quick without it.
drill=""
if [ $# -eq 0 ] && [ "${DW_SKIP_DRILL:-0}" != 1 ]; then
  drill_status=0
  bash "$here/drill.sh" || drill_status=$?
  kill_status=0
  bash "$here/drill.sh" --kill || kill_status=$?
  if [ "$drill_status" = 0 ] && [ "$kill_status" = 0 ]; then
    drill="rolling-upgrade drill: PASS (drained roll and kill -9 variant)"
  else
    drill="rolling-upgrade drill: FAIL (drained roll exit $drill_status, kill -9 variant exit $kill_status)"; status=1
  fi
fi
[ -z "$drill" ] || echo "$drill"

# One closing line in the plain 'N passed, N failed' form, summed over every test assembly.
awk '/(Passed|Failed)! +- +Failed:/ {
       for (i = 1; i <= NF; i++) { if ($i == "Failed:") f += $(i+1); if ($i == "Passed:") p += $(i+1); if ($i == "Skipped:") s += $(i+1) }
     }
     END { gsub(",", "", p); printf "%d passed, %d failed, %d skipped\n", p, f, s }' "$log"
exit "$status"
