#!/bin/sh
# Schema bootstrap: runs the DbUp project (dotnet run --project dbup) once against the target database.
# Used by azd (postprovision and predeploy hooks) and by infra/rollout.sh before any new code starts.
#
# Connection: DW_DB_CONNECTION if set; otherwise the Key Vault secret 'dw-db-connection' in $AZURE_KEY_VAULT_NAME
# (azd exports that Bicep output to hooks). The value is never printed.
# The database must accept this machine: set DW_BOOTSTRAP_CLIENT_IP (azd env set DW_BOOTSTRAP_CLIENT_IP <ip>) and
# re-provision, or run this from inside Azure.
# Retries are DbUp's own (it reads DW_BOOTSTRAP_RETRIES, extra attempts, default 0, and DW_BOOTSTRAP_DELAY_SECONDS,
# default 2, from the environment); DW_DEFAULT_NAMESPACE, when set, names the namespace it seeds.
# External tools on PATH: dotnet, and az when the connection comes from Key Vault. Exit code: DbUp's, non-zero stops.
set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd)

if [ -z "${DW_DB_CONNECTION:-}" ]; then
  if [ -z "${AZURE_KEY_VAULT_NAME:-}" ]; then
    echo "bootstrap: ERROR: set DW_DB_CONNECTION, or AZURE_KEY_VAULT_NAME to read secret dw-db-connection" >&2
    exit 2
  fi
  echo "bootstrap: reading connection string from Key Vault secret dw-db-connection ($AZURE_KEY_VAULT_NAME)"
  DW_DB_CONNECTION=$(az keyvault secret show --vault-name "$AZURE_KEY_VAULT_NAME" --name dw-db-connection --query value -o tsv)
  if [ -z "$DW_DB_CONNECTION" ]; then
    echo "bootstrap: ERROR: Key Vault secret dw-db-connection is empty" >&2
    exit 2
  fi
fi
export DW_DB_CONNECTION

echo "bootstrap: migration status before the run (dbup --status):"
status=0
dotnet run --project "$ROOT/dbup" -c Release -- --status || status=$?
case "$status" in
  0) echo "bootstrap: nothing pending" ;;
  1) echo "bootstrap: migrations pending" ;;
  *) echo "bootstrap: status check exited $status; the apply step decides" ;;
esac

echo "bootstrap: applying migrations and seeding the default namespace (dotnet run --project dbup)"
rc=0
dotnet run --project "$ROOT/dbup" -c Release || rc=$?
if [ "$rc" -ne 0 ]; then
  echo "bootstrap: ERROR: DbUp exited with $rc; stopping before any new code starts" >&2
  exit "$rc"
fi
echo "bootstrap: OK (schema up to date)"
