#!/usr/bin/env bash
# Quick start #1: installs what is missing, starts PostgreSQL, Redis and Azurite under .dw/local, bootstraps the
# database and serves the API on http://127.0.0.1:7071 with a development token. Ctrl-C stops everything it started.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
here="$root/infra/local"
state="$root/.dw/local"
pg_port=${DW_LOCAL_PG_PORT:-55432}
redis_port=${DW_LOCAL_REDIS_PORT:-56379}
url=${DW_LOCAL_URL:-http://127.0.0.1:7071}

"$here/deps.sh" --azurite
mkdir -p "$state"
chmod 755 "$root/.dw" "$state"

api_pid=""
azurite_pid=""
# Children started with & in a script ignore SIGINT, and `dotnet run` does not pass signals on: stop whole trees.
kill_tree() {
  local pid=$1 child
  for child in $(pgrep -P "$pid" 2>/dev/null); do kill_tree "$child"; done
  kill "$pid" 2>/dev/null || true
}
stop_all() {
  trap - EXIT INT TERM
  echo
  echo "Stopping the local stack ..."
  [ -n "$api_pid" ] && kill_tree "$api_pid" && wait "$api_pid" 2>/dev/null
  [ -n "$azurite_pid" ] && kill_tree "$azurite_pid" && wait "$azurite_pid" 2>/dev/null
  redis-cli -h 127.0.0.1 -p "$redis_port" shutdown nosave >/dev/null 2>&1 || true
  "$here/pg.sh" stop "$state/postgres" "$pg_port"
  echo "Stopped."
}
trap stop_all EXIT INT TERM

echo "Starting PostgreSQL on 127.0.0.1:$pg_port ..."
"$here/pg.sh" init "$state/postgres" "$pg_port"
"$here/pg.sh" start "$state/postgres" "$pg_port"
if ! psql -h 127.0.0.1 -p "$pg_port" -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'durable_workflow'" | grep -q 1; then
  psql -h 127.0.0.1 -p "$pg_port" -U postgres -qc "CREATE DATABASE durable_workflow"
fi

echo "Starting Redis on 127.0.0.1:$redis_port ..."
mkdir -p "$state/redis"
redis-server --bind 127.0.0.1 --port "$redis_port" --dir "$state/redis" --daemonize yes \
  --pidfile "$state/redis/redis.pid" --logfile "$state/redis/redis.log" --appendonly yes >/dev/null

echo "Starting Azurite (blob 10000, queue 10001, table 10002) ..."
mkdir -p "$state/azurite"
"$root/.dw/tools/node_modules/.bin/azurite" --silent --location "$state/azurite" --debug "$state/azurite/debug.log" \
  --blobHost 127.0.0.1 --queueHost 127.0.0.1 --tableHost 127.0.0.1 \
  --disableTelemetry --skipApiVersionCheck >"$state/azurite/azurite.log" 2>&1 &
azurite_pid=$!

if [ ! -s "$state/dev-token" ]; then
  echo "dev-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')" >"$state/dev-token"
fi
token=$(cat "$state/dev-token")

export DW_DB_CONNECTION="Host=127.0.0.1;Port=$pg_port;Database=durable_workflow;Username=postgres"
export DW_REDIS_CONNECTION="127.0.0.1:$redis_port"
export DW_AUTH_DRIVER=token
export DW_AUTH_TOKEN="$token"
export DW_SERVER_BUILD_ID=${DW_SERVER_BUILD_ID:-local-dev}
export AzureWebJobsStorage=UseDevelopmentStorage=true
# External payload storage drivers: `local` under .dw/local/payloads, `azure` on this Azurite (its development account).
export DW_STORAGE_LOCAL_ROOT=${DW_STORAGE_LOCAL_ROOT:-$state/payloads}
export DW_STORAGE_AZURE_CONNECTION_STRING=${DW_STORAGE_AZURE_CONNECTION_STRING:-UseDevelopmentStorage=true}

echo "Bootstrapping the database ..."
dotnet run --project "$root/dbup"

cat <<MSG

  DurableWorkflow.NET is starting on $url
  Development token: $token

    curl -s $url/api/ready
    curl -s -H "Authorization: Bearer $token" $url/api/cluster/info

  Press Ctrl-C to stop the server, PostgreSQL, Redis and Azurite.

MSG
dotnet run --project "$root/server" -- --urls "$url" &
api_pid=$!
wait "$api_pid"
