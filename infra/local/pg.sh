#!/usr/bin/env bash
# Controls a private PostgreSQL cluster in a folder: pg.sh init|start|stop|status DIR PORT
# Used by run.sh, test.sh and by tests that stop and restart the database on purpose.
# DW_PG_STAT_STATEMENTS=1 on start preloads pg_stat_statements (the benchmark then counts statements per workflow).
# The cluster listens on 127.0.0.1 only, with trust auth: it is a local development and test database.
set -euo pipefail

cmd=${1:?usage: pg.sh init|start|stop|status DIR PORT}
dir=${2:?data folder}
port=${3:?port}

bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -n "$bin" ] || { echo "pg.sh: PostgreSQL server binaries not found; run infra/local/deps.sh" >&2; exit 1; }

# PostgreSQL refuses to run as root; as root, run its tools as the postgres user.
as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "$cmd" in
  init)
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres: "$dir"
    if [ ! -f "$dir/data/PG_VERSION" ]; then
      as_pg "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C >"$dir/initdb.log"
      {
        echo "listen_addresses = '127.0.0.1'"
        echo "port = $port"
        echo "unix_socket_directories = '$dir'"
        echo "max_connections = 300"
        echo "fsync = on"
      } >>"$dir/data/postgresql.conf"
    fi
    ;;
  start)
    # DW_PG_STAT_STATEMENTS=1 preloads pg_stat_statements (top-level statements) for the benchmark's statement counts;
    # it takes effect when the cluster starts, so stop a running one first.
    opts="-p $port"
    if [ "${DW_PG_STAT_STATEMENTS:-0}" = 1 ]; then
      opts="$opts -c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track=top"
    fi
    if ! as_pg "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
      as_pg "$bin/pg_ctl" -D "$dir/data" -o "$opts" -l "$dir/server.log" -w -t 60 start >/dev/null
    fi
    ;;
  stop)
    if [ -f "$dir/data/postmaster.pid" ]; then
      as_pg "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null || true
    fi
    ;;
  status)
    as_pg "$bin/pg_ctl" -D "$dir/data" status
    ;;
  *)
    echo "pg.sh: unknown command $cmd" >&2
    exit 2
    ;;
esac
