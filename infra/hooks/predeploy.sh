#!/bin/sh
# azd predeploy hook. `azd deploy` (and the deploy half of `azd up`) writes straight to the PRODUCTION slot: azd's
# function host target has no slot support. Its package is fine for the isolated worker (`dotnet publish -c Release`
# gives a framework-dependent app root like infra/package.sh's, portable and without the build-id stamp), but it skips the staging
# slot, the /api/ready + server_build_id gate and the swap. Production upgrades therefore go through infra/rollout.sh.
# This hook refuses azd deploy unless DW_ALLOW_AZD_DEPLOY=true (for a throwaway dev environment), and always
# bootstraps the schema first.
set -eu

if [ "${DW_ALLOW_AZD_DEPLOY:-false}" != "true" ]; then
  echo "predeploy: refusing azd deploy: it bypasses the staging slot. Use infra/rollout.sh" >&2
  echo "predeploy: (dev environments only: azd env set DW_ALLOW_AZD_DEPLOY true)" >&2
  exit 1
fi

exec sh "$(dirname "$0")/bootstrap-db.sh"
