#!/bin/sh
# azd predeploy hook. `azd deploy` (and the deploy half of `azd up`) writes straight to the PRODUCTION slot: azd's
# function host target has no slot support, and its `language: dotnet` publish is not self-contained linux-x64.
# Production upgrades therefore go through infra/rollout.sh (staging slot + swap). This hook refuses azd deploy
# unless DW_ALLOW_AZD_DEPLOY=true (for a throwaway dev environment), and always bootstraps the schema first.
set -eu

if [ "${DW_ALLOW_AZD_DEPLOY:-false}" != "true" ]; then
  echo "predeploy: refusing azd deploy: it bypasses the staging slot. Use infra/rollout.sh" >&2
  echo "predeploy: (dev environments only: azd env set DW_ALLOW_AZD_DEPLOY true)" >&2
  exit 1
fi

exec sh "$(dirname "$0")/bootstrap-db.sh"
