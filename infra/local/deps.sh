#!/usr/bin/env bash
# Installs what the local stack needs and is missing: PostgreSQL 15, Redis, HAProxy (the drill's load balancer),
# Azurite (with --azurite).
# Safe to run again: it installs nothing that is already there.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)

missing=()
ls -d /usr/lib/postgresql/*/bin >/dev/null 2>&1 || missing+=(postgresql)
command -v psql >/dev/null 2>&1 || missing+=(postgresql-client)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v pgrep >/dev/null 2>&1 || missing+=(procps)
command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ] || missing+=(haproxy)

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "deps.sh: missing ${missing[*]}; run as root or install them with apt-get" >&2
    exit 1
  fi
  echo "Installing ${missing[*]} ..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # The Debian package may start its own cluster and Redis; ours run on private ports, so stop theirs.
  service postgresql stop >/dev/null 2>&1 || true
  service redis-server stop >/dev/null 2>&1 || true
  service haproxy stop >/dev/null 2>&1 || true
fi

if [ "${1:-}" = "--azurite" ] && [ ! -x "$root/.dw/tools/node_modules/.bin/azurite" ]; then
  command -v npm >/dev/null 2>&1 || { echo "deps.sh: npm is needed to install Azurite" >&2; exit 1; }
  echo "Installing Azurite ..."
  mkdir -p "$root/.dw/tools"
  npm install --prefix "$root/.dw/tools" --no-audit --no-fund --silent azurite@3.37.0 >/dev/null
fi
