#!/usr/bin/env bash
# Rolling replacement of the DurableWorkflow Function App through its staging slot.
#
#   infra/rollout.sh [deploy] [--dry-run] [--build-id ID] [--package ZIP]
#   infra/rollout.sh rollback [--dry-run]
#
# deploy (default):
#   1 preflight    az login context, slot host names, operator token; production's current build (evidence)
#   2 package      infra/package.sh: framework-dependent publish of the isolated worker + zip + layout check
#                  (--package ZIP: only the layout check, infra/package.sh --check ZIP)
#   3 bootstrap    infra/hooks/bootstrap-db.sh: DbUp once, before any new code starts; stops on failure
#   4 deploy       DW_SERVER_BUILD_ID=<id> on the staging slot, then config-zip --slot staging
#   5 wait         staging /api/ready = 200 AND /api/cluster/info server_build_id = <id>
#   6 preview      slot swap --action preview (production settings applied to staging, warm-up on /api/ready)
#   7 verify       staging again, now with production's sticky settings; on failure: --action reset
#   8 swap         slot swap --action swap (routing flip); on failure: --action reset
#   9 confirm      production /api/ready = 200 and advertises <id>; on failure: swap back (DW_ROLLOUT_AUTO_ROLLBACK)
# rollback: swap staging and production again (the previous build is still warm in staging), then confirm.
#
# Required environment (azd exports these Bicep outputs: eval "$(azd env get-values)"):
#   AZURE_RESOURCE_GROUP, FUNCTION_APP_NAME, and AZURE_KEY_VAULT_NAME unless DW_ROLLOUT_TOKEN (and
#   DW_DB_CONNECTION for the bootstrap) are given. FUNCTION_APP_HOST / FUNCTION_APP_STAGING_HOST are looked up
#   with az when absent.
# Tuning: DW_ROLLOUT_READY_TIMEOUT_SECONDS (600), DW_ROLLOUT_POLL_SECONDS (10), DW_ROLLOUT_VERIFY_SAMPLES (3
#   consecutive good answers, several instances answer behind one host name), DW_ROLLOUT_HTTP_TIMEOUT_SECONDS (90),
#   DW_ROLLOUT_AUTO_ROLLBACK (true), DW_ROLLOUT_URL_SCHEME (https), DW_ROLLOUT_PACKAGE_DIR (infra/dist),
#   DW_BUILD_ID (same as --build-id).
# Every external call goes through az, curl, dotnet (via package.sh / bootstrap-db.sh) found on PATH.
# --dry-run prints the plan and calls none of them.
#
# Exit codes: 0 done; 2 usage/config; 10 package; 11 bootstrap; 12 deploy to staging; 20 staging never became ready
#   (production untouched); 30 preview failed; 31 verification after preview failed; 32 swap failed (30-32: reset
#   done, production still on the old build); 40 production check after the swap failed (rolled back when
#   DW_ROLLOUT_AUTO_ROLLBACK=true); 41 rollback swap failed; 42 production check after rollback failed.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$SCRIPT_DIR/.." && pwd)"

MODE="deploy"
DRY_RUN=0
PACKAGE=""
PACKAGE_GIVEN=0
BUILD_ID="${DW_BUILD_ID:-}"

RG="${AZURE_RESOURCE_GROUP:-}"
APP="${FUNCTION_APP_NAME:-}"
KV="${AZURE_KEY_VAULT_NAME:-}"
PROD_HOST="${FUNCTION_APP_HOST:-}"
STAGING_HOST="${FUNCTION_APP_STAGING_HOST:-}"
READY_TIMEOUT="${DW_ROLLOUT_READY_TIMEOUT_SECONDS:-600}"
POLL="${DW_ROLLOUT_POLL_SECONDS:-10}"
SAMPLES="${DW_ROLLOUT_VERIFY_SAMPLES:-3}"
HTTP_TIMEOUT="${DW_ROLLOUT_HTTP_TIMEOUT_SECONDS:-90}"
AUTO_ROLLBACK="${DW_ROLLOUT_AUTO_ROLLBACK:-true}"
SCHEME="${DW_ROLLOUT_URL_SCHEME:-https}"

log() { printf '[%(%H:%M:%S)T] %s\n' -1 "$*"; }
step() { log "==> $*"; }
evidence() { log "    evidence: $*"; }
fail() {
  local code="$1"
  shift
  log "!!! FAILED: $*" >&2
  exit "$code"
}

usage() { sed -n '2,34p' "${BASH_SOURCE[0]}"; }

while [ $# -gt 0 ]; do
  case "$1" in
    deploy|rollback) MODE="$1"; shift ;;
    --dry-run) DRY_RUN=1; shift ;;
    --build-id) [ $# -ge 2 ] || { usage >&2; exit 2; }; BUILD_ID="$2"; shift 2 ;;
    --package) [ $# -ge 2 ] || { usage >&2; exit 2; }; PACKAGE="$2"; PACKAGE_GIVEN=1; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "rollout: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
  esac
done

for n in READY_TIMEOUT SAMPLES HTTP_TIMEOUT; do
  [[ "${!n}" =~ ^[0-9]+$ ]] || { echo "rollout: $n must be a whole number (got '${!n}')" >&2; exit 2; }
done
[[ "$POLL" =~ ^[0-9]+([.][0-9]+)?$ ]] || { echo "rollout: DW_ROLLOUT_POLL_SECONDS must be a number (got '$POLL')" >&2; exit 2; }
[ "$SAMPLES" -ge 1 ] || SAMPLES=1

if [ "$MODE" = "deploy" ]; then
  if [ -n "$PACKAGE" ] && [ -z "$BUILD_ID" ]; then
    echo "rollout: --package needs --build-id (the id package.sh stamped into that zip)" >&2
    exit 2
  fi
  if [ -z "$BUILD_ID" ]; then
    if sha="$(git -C "$ROOT" rev-parse --short=12 HEAD 2>/dev/null)"; then
      BUILD_ID="${sha}-$(printf '%(%Y%m%d%H%M%S)T' -1)"
    else
      BUILD_ID="local-$(printf '%(%Y%m%d%H%M%S)T' -1)"
    fi
  fi
  [[ "$BUILD_ID" =~ ^[A-Za-z0-9][A-Za-z0-9._+-]{0,99}$ ]] || { echo "rollout: bad build id '$BUILD_ID'" >&2; exit 2; }
  [ -n "$PACKAGE" ] || PACKAGE="${DW_ROLLOUT_PACKAGE_DIR:-$ROOT/infra/dist}/durableworkflow-functions-${BUILD_ID}.zip"
fi

swap_args() { # the pair is always staging -> production
  printf '%s\n' functionapp deployment slot swap -g "$RG" -n "$APP" --slot staging --target-slot production --action "$1"
}

# ---------------------------------------------------------------- dry run: print the plan, call nothing external
if [ "$DRY_RUN" -eq 1 ]; then
  v() { if [ -n "$1" ]; then printf '%s' "$1"; else printf '<%s>' "$2"; fi; }
  rgv="$(v "$RG" AZURE_RESOURCE_GROUP)"
  appv="$(v "$APP" FUNCTION_APP_NAME)"
  stv="$(v "$STAGING_HOST" FUNCTION_APP_STAGING_HOST)"
  prv="$(v "$PROD_HOST" FUNCTION_APP_HOST)"
  log "DRY RUN: $MODE plan for $appv in $rgv (no az, curl or dotnet call is made)"
  missing=()
  [ -n "$RG" ] || missing+=(AZURE_RESOURCE_GROUP)
  [ -n "$APP" ] || missing+=(FUNCTION_APP_NAME)
  if [ -z "$KV" ] && { [ -z "${DW_ROLLOUT_TOKEN:-}" ] || { [ "$MODE" = deploy ] && [ -z "${DW_DB_CONNECTION:-}" ]; }; }; then
    missing+=(AZURE_KEY_VAULT_NAME)
  fi
  if [ "${#missing[@]}" -gt 0 ]; then
    log "    note: a real run needs: ${missing[*]}"
  fi
  if [ "$MODE" = "rollback" ]; then
    log "  1 preflight: az account show; hosts $stv / $prv; operator token from ${KV:-<AZURE_KEY_VAULT_NAME>}/dw-operator-token or DW_ROLLOUT_TOKEN"
    log "  2 evidence : GET $SCHEME://$stv/api/cluster/info (build that will return to production)"
    log "  3 swap back: az functionapp deployment slot swap -g $rgv -n $appv --slot staging --target-slot production --action swap"
    log "  4 confirm  : $SCHEME://$prv/api/ready = 200 and /api/cluster/info server_build_id = staging's former build"
    exit 0
  fi
  log "  build id   : $BUILD_ID"
  log "  1 preflight: az account show; hosts $stv / $prv; operator token from ${KV:-<AZURE_KEY_VAULT_NAME>}/dw-operator-token or DW_ROLLOUT_TOKEN"
  if [ "$PACKAGE_GIVEN" -eq 1 ]; then
    log "  2 package  : use the given $PACKAGE (build id $BUILD_ID) after infra/package.sh --check $PACKAGE"
  else
    log "  2 package  : infra/package.sh --build-id $BUILD_ID --output $PACKAGE"
  fi
  log "  3 bootstrap: infra/hooks/bootstrap-db.sh (dotnet run --project dbup, once; stop on failure)"
  log "  4 deploy   : az functionapp config appsettings set -g $rgv -n $appv --slot staging --settings DW_SERVER_BUILD_ID=$BUILD_ID"
  log "               az functionapp deployment source config-zip -g $rgv -n $appv --slot staging --src $PACKAGE"
  log "  5 wait     : $SCHEME://$stv/api/ready = 200 and /api/cluster/info server_build_id = $BUILD_ID ($SAMPLES in a row, timeout ${READY_TIMEOUT}s, every ${POLL}s)"
  log "  6 preview  : az $(swap_args preview | tr '\n' ' ')"
  log "  7 verify   : staging again with production settings; on failure: az $(swap_args reset | tr '\n' ' ')"
  log "  8 swap     : az $(swap_args swap | tr '\n' ' ')   (on failure: --action reset)"
  log "  9 confirm  : $SCHEME://$prv/api/ready = 200 and server_build_id = $BUILD_ID; on failure: swap back (auto rollback: $AUTO_ROLLBACK)"
  log "  rollback later: infra/rollout.sh rollback"
  exit 0
fi

# ---------------------------------------------------------------- real run helpers
for tool in az curl; do
  command -v "$tool" >/dev/null 2>&1 || fail 2 "$tool is not on PATH"
done
[ -n "$RG" ] || fail 2 "AZURE_RESOURCE_GROUP is not set (eval \"\$(azd env get-values)\")"
[ -n "$APP" ] || fail 2 "FUNCTION_APP_NAME is not set (eval \"\$(azd env get-values)\")"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/dw-rollout.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
AUTH_HEADER_FILE="$WORK/auth.hdr"

# GET url -> prints the status code (000 when no answer); body lands in $2. $3=auth adds the bearer header.
http_get() {
  local url="$1" body="$2" auth="${3:-}" code
  local args=(-sS -o "$body" -w '%{http_code}' --max-time "$HTTP_TIMEOUT")
  if [ "$auth" = "auth" ]; then
    args+=(-H "@$AUTH_HEADER_FILE") # header from a 0600 file, so the token never shows up in a process list
  fi
  : >"$body"
  if ! code="$(curl "${args[@]}" "$url" 2>>"$WORK/curl.err")"; then
    code="${code:-000}"
  fi
  printf '%s' "${code:-000}"
}

build_id_of() { # server_build_id from a cluster-info body
  sed -n 's/.*"server_build_id"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p' "$1" | head -n 1
}

# wait_ready LABEL HOST EXPECTED_BUILD_ID: SAMPLES consecutive (ready=200, cluster/info=200, build=expected)
wait_ready() {
  local label="$1" host="$2" expected="$3"
  local deadline=$((SECONDS + READY_TIMEOUT)) good=0 attempt=0 ready info build
  while :; do
    attempt=$((attempt + 1))
    ready="$(http_get "$SCHEME://$host/api/ready" "$WORK/ready.body")"
    info="$(http_get "$SCHEME://$host/api/cluster/info" "$WORK/info.body" auth)"
    build="$(build_id_of "$WORK/info.body")"
    if [ "$ready" = "200" ] && [ "$info" = "200" ] && { [ -z "$expected" ] || [ "$build" = "$expected" ]; }; then
      good=$((good + 1))
    else
      good=0
    fi
    log "    [$label] attempt $attempt: GET /api/ready -> $ready; GET /api/cluster/info -> $info, server_build_id=${build:-<none>} (want ${expected:-any}); good $good/$SAMPLES"
    if [ "$good" -ge "$SAMPLES" ]; then
      evidence "$host ready and serving build ${build} ($SAMPLES consecutive checks)"
      return 0
    fi
    if [ "$good" -eq 0 ] && [ "$SECONDS" -ge "$deadline" ]; then # never give up in the middle of a good streak
      log "    [$label] gave up after ${READY_TIMEOUT}s; last /api/ready body: $(head -c 300 "$WORK/ready.body" | tr '\n' ' ')"
      return 1
    fi
    sleep "$POLL"
  done
}

swap_reset() {
  step "reset: cancelling the swap preview (production stays on the old build)"
  local args=()
  mapfile -t args < <(swap_args reset)
  if az "${args[@]}"; then
    evidence "az slot swap --action reset succeeded; staging has its own settings back"
  else
    log "!!! reset failed too: run by hand: az ${args[*]}" >&2
  fi
}

swap_action() {
  local args=()
  mapfile -t args < <(swap_args "$1")
  log "    az ${args[*]}"
  az "${args[@]}"
}

preflight() {
  step "[1/9] preflight"
  local account
  account="$(az account show --query '[name, id]' -o tsv | tr '\n' ' ')" || fail 2 "az account show failed (az login?)"
  evidence "subscription: $account; app $APP in $RG"
  if [ -z "$STAGING_HOST" ]; then
    STAGING_HOST="$(az functionapp show -g "$RG" -n "$APP" --slot staging --query defaultHostName -o tsv)" || fail 2 "cannot read the staging slot host name"
  fi
  if [ -z "$PROD_HOST" ]; then
    PROD_HOST="$(az functionapp show -g "$RG" -n "$APP" --query defaultHostName -o tsv)" || fail 2 "cannot read the production host name"
  fi
  if [ -z "$STAGING_HOST" ] || [ -z "$PROD_HOST" ]; then
    fail 2 "empty slot host names"
  fi
  evidence "production $PROD_HOST, staging $STAGING_HOST"
  local token="${DW_ROLLOUT_TOKEN:-}"
  if [ -z "$token" ]; then
    [ -n "$KV" ] || fail 2 "set DW_ROLLOUT_TOKEN or AZURE_KEY_VAULT_NAME (secret dw-operator-token)"
    token="$(az keyvault secret show --vault-name "$KV" --name dw-operator-token --query value -o tsv)" || fail 2 "cannot read Key Vault secret dw-operator-token"
  fi
  [ -n "$token" ] || fail 2 "empty operator token"
  (umask 077 && printf 'Authorization: Bearer %s\n' "$token" >"$AUTH_HEADER_FILE")
  evidence "operator token loaded (${#token} characters, not shown)"
}

current_build() { # best effort, for evidence only
  local code
  code="$(http_get "$SCHEME://$1/api/cluster/info" "$WORK/current.body" auth)"
  if [ "$code" = "200" ]; then
    build_id_of "$WORK/current.body"
  fi
}

# ---------------------------------------------------------------- rollback
if [ "$MODE" = "rollback" ]; then
  log "ROLLBACK of $APP in $RG: swap staging and production back"
  preflight
  step "[2/4] evidence"
  previous="$(current_build "$STAGING_HOST")"
  now="$(current_build "$PROD_HOST")"
  evidence "production serves ${now:-<unknown>}; staging holds ${previous:-<unknown>} (returns to production)"
  step "[3/4] swap back"
  swap_action swap || fail 41 "rollback swap failed; production unchanged (${now:-<unknown>})"
  evidence "swap completed"
  step "[4/4] confirm production"
  wait_ready production "$PROD_HOST" "$previous" || fail 42 "production not ready after the rollback swap"
  log "ROLLBACK DONE: production serves ${previous:-<unknown>}; staging now holds ${now:-<unknown>}"
  exit 0
fi

# ---------------------------------------------------------------- deploy
log "ROLLOUT of build $BUILD_ID to $APP in $RG via the staging slot"
preflight
old_build="$(current_build "$PROD_HOST")"
evidence "production currently serves ${old_build:-<unknown>}"

step "[2/9] package"
if [ "$PACKAGE_GIVEN" -eq 1 ]; then
  [ -s "$PACKAGE" ] || fail 10 "package $PACKAGE does not exist"
  "$SCRIPT_DIR/package.sh" --check "$PACKAGE" || fail 10 "package $PACKAGE is not an isolated-worker app root; nothing deployed"
  evidence "using the given package $PACKAGE ($(wc -c <"$PACKAGE" | tr -d ' ') bytes)"
else
  "$SCRIPT_DIR/package.sh" --build-id "$BUILD_ID" --output "$PACKAGE" || fail 10 "packaging failed"
  evidence "$PACKAGE ($(wc -c <"$PACKAGE" | tr -d ' ') bytes)"
fi

step "[3/9] bootstrap (DbUp, once, before any new code starts)"
sh "$SCRIPT_DIR/hooks/bootstrap-db.sh" || fail 11 "bootstrap failed; nothing was deployed, production untouched"
evidence "bootstrap exited 0"

step "[4/9] deploy to the staging slot"
log "    az functionapp config appsettings set -g $RG -n $APP --slot staging --settings DW_SERVER_BUILD_ID=$BUILD_ID"
az functionapp config appsettings set -g "$RG" -n "$APP" --slot staging --settings "DW_SERVER_BUILD_ID=$BUILD_ID" -o none ||
  fail 12 "could not set DW_SERVER_BUILD_ID on staging; production untouched"
log "    az functionapp deployment source config-zip -g $RG -n $APP --slot staging --src $PACKAGE"
az functionapp deployment source config-zip -g "$RG" -n "$APP" --slot staging --src "$PACKAGE" -o none ||
  fail 12 "zip deploy to staging failed; production untouched"
evidence "zip deployed to staging"

step "[5/9] wait for staging: /api/ready 200 and build $BUILD_ID"
wait_ready staging "$STAGING_HOST" "$BUILD_ID" ||
  fail 20 "staging never became ready with build $BUILD_ID; no swap started, production untouched (still ${old_build:-<unknown>})"

step "[6/9] swap with preview (phase 1: production settings onto staging, warm-up on /api/ready)"
if ! swap_action preview; then
  swap_reset
  fail 30 "swap preview failed; production still on ${old_build:-the old build}"
fi
evidence "preview applied"

step "[7/9] verify staging with production settings"
if ! wait_ready staging-preview "$STAGING_HOST" "$BUILD_ID"; then
  swap_reset
  fail 31 "staging failed verification after preview; production still on ${old_build:-the old build}"
fi

step "[8/9] complete the swap (phase 2: routing flip)"
if ! swap_action swap; then
  swap_reset
  fail 32 "swap failed; production still on ${old_build:-the old build}"
fi
evidence "swap completed"

step "[9/9] confirm production"
if ! wait_ready production "$PROD_HOST" "$BUILD_ID"; then
  if [ "$AUTO_ROLLBACK" = "true" ]; then
    step "rollback: production check failed, swapping back"
    if swap_action swap; then
      evidence "swapped back; production returns to ${old_build:-the previous build}"
    else
      log "!!! swap back failed: run infra/rollout.sh rollback" >&2
    fi
    fail 40 "production check failed after the swap; rolled back"
  fi
  fail 40 "production check failed after the swap; roll back with: infra/rollout.sh rollback"
fi

log "ROLLOUT DONE: production serves $BUILD_ID (was ${old_build:-<unknown>}); the previous build stays warm in staging"
log "    rollback: infra/rollout.sh rollback"
