#!/usr/bin/env bash
# Builds the deployable Functions package: a framework-dependent linux-x64 publish of ./functions (the .NET isolated
# worker), zipped, and read back to check the layout the Functions host loads.
#
#   infra/package.sh [--output ZIP] [--build-id ID] [--publish-dir DIR]
#   infra/package.sh --check ZIP      (only the layout check, on an existing package; builds nothing)
#
# --output       zip to write (default infra/dist/durableworkflow-functions-<build id>.zip)
# --build-id     build identity stamped into the assemblies (InformationalVersion, read back by the server as its
#                default DW_SERVER_BUILD_ID). Default: $DW_BUILD_ID, else <git sha>-<UTC time>.
# --publish-dir  keep the publish output here instead of a temporary folder.
#
# Environment: DW_PACKAGE_ZIP_TOOL=auto|zip|python3 (default auto: zip when on PATH, else python3),
#              DW_PACKAGE_ARTIFACTS_PATH (MSBuild bin/obj root; default: a temporary folder, so a package build never
#              touches the repo's own obj/ folders that IDEs and test runs use).
# External tools are looked up on PATH: dotnet, python3 (layout check), and zip unless python3 zips.
# Exit code: 0 packaged (or checked); 1 build, layout or zip failure; the package is never left behind half-checked.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUTPUT=""
BUILD_ID="${DW_BUILD_ID:-}"
PUBLISH_DIR=""
CHECK=""
ZIP_TOOL="${DW_PACKAGE_ZIP_TOOL:-auto}"

die() {
  echo "package: ERROR: $*" >&2
  exit 1
}

while [ $# -gt 0 ]; do
  case "$1" in
    --output) [ $# -ge 2 ] || die "--output needs a value"; OUTPUT="$2"; shift 2 ;;
    --build-id) [ $# -ge 2 ] || die "--build-id needs a value"; BUILD_ID="$2"; shift 2 ;;
    --publish-dir) [ $# -ge 2 ] || die "--publish-dir needs a value"; PUBLISH_DIR="$2"; shift 2 ;;
    --check) [ $# -ge 2 ] || die "--check needs a zip"; CHECK="$2"; shift 2 ;;
    -h|--help) sed -n '2,17p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done

WORKER="$(sed -n 's:.*<AssemblyName>\([^<]*\)</AssemblyName>.*:\1:p' "$ROOT/functions/DurableWorkflow.Functions.csproj" | head -n 1)"
[ -n "$WORKER" ] || die "functions/DurableWorkflow.Functions.csproj has no <AssemblyName>"
command -v python3 >/dev/null 2>&1 || die "python3 is needed to check the package layout (apt-get install python3)"

# check_layout ZIP WORKER: the zip must hold the app root the host loads: host.json (no customHandler),
# worker.config.json running `dotnet <worker>.dll`, functions.metadata (the worker-indexed functions, SchedulerTick the
# only timer), extensions.json and the .azurefunctions/ files it names; no function.json, no local.settings.json.
check_layout() {
  python3 - "$@" <<'PY'
import json, sys, zipfile
path, worker = sys.argv[1], sys.argv[2]
z = zipfile.ZipFile(path)
names = {n.rstrip("/") for n in z.namelist()}
read = lambda n: z.read(n).decode("utf-8-sig")
def fail(message):
    sys.exit("package: ERROR: zip: " + message)
assembly = worker + ".dll"
for required in ("host.json", "worker.config.json", "functions.metadata", "extensions.json", assembly):
    if required not in names:
        fail("lacks " + required)
legacy = sorted(n for n in names if n == "function.json" or n.endswith("/function.json"))
if legacy:
    fail("holds function.json files (%s); the worker indexes its functions from code" % ", ".join(legacy))
if any(n == "local.settings.json" or n.endswith("/local.settings.json") for n in names):
    fail("contains local.settings.json (local secrets must never ship)")
if "customHandler" in json.loads(read("host.json")):
    fail("host.json still has a customHandler section")
description = json.loads(read("worker.config.json"))["description"]
if description.get("language") != "dotnet-isolated":
    fail("worker.config.json language is %r, not dotnet-isolated" % description.get("language"))
if description.get("defaultExecutablePath") != "dotnet" or description.get("defaultWorkerPath") != assembly:
    fail("worker.config.json starts %r %r; a framework-dependent package runs 'dotnet %s'"
         % (description.get("defaultExecutablePath"), description.get("defaultWorkerPath"), assembly))
functions = json.loads(read("functions.metadata"))
if not functions:
    fail("functions.metadata lists no function")
scripts = sorted({f.get("scriptFile") for f in functions} - {assembly})
if scripts:
    fail("functions.metadata points at %s, not %s" % (", ".join(map(str, scripts)), assembly))
timers = [f["name"] for f in functions if any(b.get("type") == "timerTrigger" for b in f.get("bindings", []))]
if timers != ["SchedulerTick"]:
    fail("functions.metadata timer functions are %s, expected exactly SchedulerTick" % timers)
loaders = [e.get("hintPath", "") for e in json.loads(read("extensions.json"))["extensions"]]
for hint in loaders:
    hint = hint[2:] if hint.startswith("./") else hint
    if hint not in names:
        fail("extensions.json names %s, which is missing" % hint)
dot = sorted(n for n in names if n.startswith(".azurefunctions/"))
if not dot:
    fail("lacks the .azurefunctions/ folder")
print("package: verified zip: host.json, worker.config.json (dotnet %s), functions.metadata (%d functions), "
      "extensions.json, .azurefunctions/ (%d files), no function.json; %d entries" % (assembly, len(functions), len(dot), len(names)))
PY
}

if [ -n "$CHECK" ]; then
  [ -s "$CHECK" ] || die "$CHECK does not exist or is empty"
  check_layout "$CHECK" "$WORKER"
  exit $?
fi

if [ -z "$BUILD_ID" ]; then
  if sha="$(git -C "$ROOT" rev-parse --short=12 HEAD 2>/dev/null)"; then
    BUILD_ID="${sha}-$(date -u +%Y%m%d%H%M%S)"
  else
    BUILD_ID="local-$(date -u +%Y%m%d%H%M%S)"
  fi
fi
[[ "$BUILD_ID" =~ ^[A-Za-z0-9][A-Za-z0-9._+-]{0,99}$ ]] || die "build id '$BUILD_ID' must match [A-Za-z0-9][A-Za-z0-9._+-]{0,99}"

[ -n "$OUTPUT" ] || OUTPUT="$ROOT/infra/dist/durableworkflow-functions-${BUILD_ID}.zip"
mkdir -p "$(dirname "$OUTPUT")"
OUTPUT="$(cd "$(dirname "$OUTPUT")" && pwd)/$(basename "$OUTPUT")"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/dw-package.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
if [ -z "$PUBLISH_DIR" ]; then
  PUBLISH_DIR="$WORK/publish"
fi
ARTIFACTS="${DW_PACKAGE_ARTIFACTS_PATH:-$WORK/artifacts}"
rm -rf "$PUBLISH_DIR"
mkdir -p "$PUBLISH_DIR"

echo "package: build id $BUILD_ID"
# Framework-dependent: the DOTNET-ISOLATED|10.0 stack carries the .NET and ASP.NET Core runtimes, and the SDK's
# worker.config.json then starts the worker as `dotnet <assembly>`, the form the host can pre-start as a placeholder.
echo "package: dotnet publish functions (Release, linux-x64, framework-dependent) -> $PUBLISH_DIR"
dotnet publish "$ROOT/functions/DurableWorkflow.Functions.csproj" \
  -c Release -r linux-x64 --self-contained false \
  -p:InformationalVersion="$BUILD_ID" \
  -p:IncludeSourceRevisionInInformationalVersion=false \
  --artifacts-path "$ARTIFACTS" \
  -o "$PUBLISH_DIR" \
  -nologo

if [ "$ZIP_TOOL" = "auto" ]; then
  if command -v zip >/dev/null 2>&1; then
    ZIP_TOOL=zip
  elif command -v python3 >/dev/null 2>&1; then
    ZIP_TOOL=python3
  else
    die "no zip on PATH (apt-get install zip)"
  fi
fi

rm -f "$OUTPUT"
case "$ZIP_TOOL" in
  zip)
    echo "package: zip -> $OUTPUT"
    (cd "$PUBLISH_DIR" && zip -q -r -X "$OUTPUT" .)
    ;;
  python3)
    echo "package: python3 zipfile -> $OUTPUT"
    python3 - "$PUBLISH_DIR" "$OUTPUT" <<'PY'
import os, stat, sys, zipfile
src, out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as z:
    for folder, dirs, files in os.walk(src):
        dirs.sort()
        for name in sorted(files):
            path = os.path.join(folder, name)
            st = os.stat(path)
            info = zipfile.ZipInfo.from_file(path, os.path.relpath(path, src))
            info.create_system = 3  # unix, so readers honour the mode bits
            info.external_attr = (stat.S_IFREG | stat.S_IMODE(st.st_mode)) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            with open(path, "rb") as f:
                z.writestr(info, f.read())
PY
    ;;
  *) die "DW_PACKAGE_ZIP_TOOL must be auto, zip or python3 (got '$ZIP_TOOL')" ;;
esac
[ -s "$OUTPUT" ] || die "zip tool produced no $OUTPUT"

# Evidence: read the zip back (the one layout check: hidden .azurefunctions/ must have made it in); a bad zip is removed.
check_layout "$OUTPUT" "$WORKER" || { rm -f "$OUTPUT"; exit 1; }

echo "package: wrote $OUTPUT ($(wc -c <"$OUTPUT" | tr -d ' ') bytes, build id $BUILD_ID)"
