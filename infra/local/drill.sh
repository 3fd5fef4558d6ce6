#!/usr/bin/env bash
# The rolling-upgrade drill (issue 13; README "Rolling-upgrade runbook"). Builds two real builds: old = the parent of
# the newest commit touching core/Storage/Migrations (in a temporary git worktree), new = this working tree. Starts a
# private PostgreSQL and Redis, then tests/DurableWorkflow.RollingUpgrade runs HAProxy, three API nodes, a scheduler
# and two worker cohorts, rolls them from old to new under load across the migration, rolls one node and the cohort
# back, asserts that nothing was lost and prints the report (also left in .dw/drill/report.txt).
# Usage: infra/local/drill.sh [--kill]   (--kill: kill -9 the middle API node instead of draining it)
# Exit 0 only when every assertion held. Everything it started is stopped on exit.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
here="$root/infra/local"
configuration=${DW_DRILL_CONFIGURATION:-Release}
started=$(date +%s)

"$here/deps.sh"

newest=$(git -C "$root" log -1 --format=%H -- core/Storage/Migrations)
if [ -z "$newest" ]; then
  echo "drill.sh: FAIL: no commit in this history touches core/Storage/Migrations, so there is no old build to upgrade from" >&2
  exit 1
fi
if ! old=$(git -C "$root" rev-parse --verify -q "$newest^"); then
  echo "drill.sh: FAIL: $newest (newest migration commit) has no parent in this clone (shallow?); fetch the full history" >&2
  exit 1
fi
old_id="old-$(git -C "$root" rev-parse --short=10 "$old")"
new_id="new-$(git -C "$root" rev-parse --short=10 HEAD)"
[ -z "$(git -C "$root" status --porcelain -- . ':!.dw')" ] || new_id="$new_id-dirty"

# shellcheck source=free-port.sh
. "$here/free-port.sh"

state=$(mktemp -d /tmp/dw-drill.XXXXXX)
chmod 755 "$state"
pg_port=$(free_port "${DW_DRILL_PG_PORT:-55533}")
redis_port=$(free_port "${DW_DRILL_REDIS_PORT:-56480}")
drill_group=
status=1

cleanup() {
  if [ -n "$drill_group" ] && kill -0 -- "-$drill_group" 2>/dev/null; then
    # The drill and every process it started share its process group, which may outlive the drill itself.
    kill -TERM -- "-$drill_group" 2>/dev/null || true
    sleep 3
    kill -KILL -- "-$drill_group" 2>/dev/null || true
  fi
  redis-cli -h 127.0.0.1 -p "$redis_port" shutdown nosave >/dev/null 2>&1 || true
  "$here/pg.sh" stop "$state/postgres" "$pg_port"
  git -C "$root" worktree remove --force "$state/old" >/dev/null 2>&1 || true
  git -C "$root" worktree prune >/dev/null 2>&1 || true
  if [ "$status" = 0 ]; then
    rm -rf "$state"
  else
    rm -rf "$state/postgres"
    echo "drill.sh: logs kept in $state" >&2
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "drill: old = $old (parent of $newest, the newest migration commit), new = working tree"
git -C "$root" worktree add --detach "$state/old" "$old" >/dev/null
build() { # build ROOT PROJECT...
  local dir=$1; shift
  local projects=""
  for p in "$@"; do projects="$projects${projects:+,}\"$p\""; done
  printf '{"solution":{"path":"%s/DurableWorkflow.sln","projects":[%s]}}\n' "$dir" "$projects" >"$state/build.slnf"
  dotnet build "$state/build.slnf" -c "$configuration" -nologo -v q >"$state/build.log" 2>&1 || { tail -n 30 "$state/build.log" >&2; return 1; }
}
build "$state/old" server/DurableWorkflow.Server.csproj dbup/DurableWorkflow.Bootstrap.csproj
build "$root" server/DurableWorkflow.Server.csproj dbup/DurableWorkflow.Bootstrap.csproj cli/DurableWorkflow.Cli.csproj \
  tests/DurableWorkflow.RollingUpgrade/DurableWorkflow.RollingUpgrade.csproj
echo "drill: builds ready after $(( $(date +%s) - started )) s"

"$here/pg.sh" init "$state/postgres" "$pg_port"
"$here/pg.sh" start "$state/postgres" "$pg_port"
redis-server --bind 127.0.0.1 --port "$redis_port" --daemonize yes --save '' --appendonly no \
  --pidfile "$state/redis.pid" --logfile "$state/redis.log" >/dev/null

set +e
setsid dotnet "$root/tests/DurableWorkflow.RollingUpgrade/bin/$configuration/net10.0/DurableWorkflow.RollingUpgrade.dll" \
  --old-root "$state/old" --new-root "$root" --old-build-id "$old_id" --new-build-id "$new_id" \
  --pg "Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=postgres;Timeout=30" --redis "127.0.0.1:$redis_port" \
  --state "$state" --configuration "$configuration" "$@" &
drill_group=$!
wait "$drill_group"
status=$?
set -e
mkdir -p "$root/.dw/drill"
[ -f "$state/report.txt" ] && cp "$state/report.txt" "$root/.dw/drill/report${1:+-${1#--}}.txt"
echo "drill: total $(( $(date +%s) - started )) s (builds included), exit $status"
exit "$status"
