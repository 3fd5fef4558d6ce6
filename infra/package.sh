#!/usr/bin/env bash
# Builds the deployable Functions package: a self-contained linux-x64 publish of the isolated worker in ./functions,
# zipped on Linux so the worker executable keeps its run bit (EP and Dedicated plans do not chmod it for us).
#
#   infra/package.sh [--output ZIP] [--build-id ID] [--publish-dir DIR]
#
# --output       zip to write (default infra/dist/durableworkflow-functions-<build id>.zip)
# --build-id     build identity stamped into the assemblies (InformationalVersion, read back by the server as its
#                default DW_SERVER_BUILD_ID). Default: $DW_BUILD_ID, else <git sha>-<UTC time>.
# --publish-dir  keep the publish output here instead of a temporary folder.
#
# Environment: DW_PACKAGE_ZIP_TOOL=auto|zip|python3 (default auto: zip when on PATH, else python3),
#              DW_PACKAGE_ARTIFACTS_PATH (MSBuild bin/obj root; default: a temporary folder, so a package build never
#              touches the repo's own obj/ folders that IDEs and test runs use).
# External tools are looked up on PATH: dotnet, zip or python3.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUTPUT=""
BUILD_ID="${DW_BUILD_ID:-}"
PUBLISH_DIR=""
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
    -h|--help) sed -n '2,17p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done

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
echo "package: dotnet publish functions (Release, linux-x64, self-contained, invariant globalization) -> $PUBLISH_DIR"
dotnet publish "$ROOT/functions/DurableWorkflow.Functions.csproj" \
  -c Release -r linux-x64 --self-contained \
  -p:InvariantGlobalization=true \
  -p:InformationalVersion="$BUILD_ID" \
  -p:IncludeSourceRevisionInInformationalVersion=false \
  --artifacts-path "$ARTIFACTS" \
  -o "$PUBLISH_DIR" \
  -nologo

# Layout the Functions host expects at the package root: host.json, the worker-indexed metadata, the worker
# description (which names the executable the host starts) and the SDK's extension bundle.
for f in host.json functions.metadata worker.config.json extensions.json; do
  [ -f "$PUBLISH_DIR/$f" ] || die "publish output lacks $f"
done
[ -n "$(ls -A "$PUBLISH_DIR/.azurefunctions" 2>/dev/null)" ] || die "publish output lacks .azurefunctions/"
[ -z "$(find "$PUBLISH_DIR" -name function.json -print -quit)" ] || die "publish output contains a function.json (metadata comes from functions.metadata)"
EXE="$(sed -n 's/.*"defaultExecutablePath"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p' "$PUBLISH_DIR/worker.config.json" | head -n 1)"
EXE="${EXE#\{WorkerRoot\}}"
[ -n "$EXE" ] && [ "$EXE" != "dotnet" ] || die "worker.config.json names no self-contained executable (got '${EXE:-}')"
[ -f "$PUBLISH_DIR/$EXE" ] || die "publish output lacks $EXE"
[ -x "$PUBLISH_DIR/$EXE" ] || die "publish output: $EXE is not executable"
[ ! -e "$PUBLISH_DIR/local.settings.json" ] || die "publish output contains local.settings.json (local secrets must never ship)"

if [ "$ZIP_TOOL" = "auto" ]; then
  if command -v zip >/dev/null 2>&1; then
    ZIP_TOOL=zip
  elif command -v python3 >/dev/null 2>&1; then
    ZIP_TOOL=python3
  else
    die "neither zip nor python3 is on PATH (apt-get install zip)"
  fi
fi

rm -f "$OUTPUT"
case "$ZIP_TOOL" in
  zip)
    echo "package: zip (Info-ZIP keeps unix modes) -> $OUTPUT"
    (cd "$PUBLISH_DIR" && zip -q -r -X "$OUTPUT" .)
    ;;
  python3)
    echo "package: python3 zipfile (unix modes in external_attr) -> $OUTPUT"
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

# Evidence: read the zip back and check the root layout and the run bit.
if command -v python3 >/dev/null 2>&1; then
  python3 - "$OUTPUT" "$EXE" <<'PY'
import sys, zipfile
out, exe = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(out) as z:
    infos = {i.filename: i for i in z.infolist()}
    required = ("host.json", "functions.metadata", "worker.config.json", "extensions.json", exe)
    missing = [n for n in required if n not in infos]
    if not any(n.startswith(".azurefunctions/") for n in infos):
        missing.append(".azurefunctions/")
    if missing:
        sys.exit("package: ERROR: zip lacks " + ", ".join(missing))
    mode = infos[exe].external_attr >> 16
    if not mode & 0o100:
        sys.exit("package: ERROR: %s has mode %o in the zip (no owner-exec bit)" % (exe, mode & 0o7777))
    print("package: verified zip root: host.json, functions.metadata, worker.config.json, extensions.json, .azurefunctions/, %s (mode %o); %d entries"
          % (exe, mode & 0o7777, len(infos)))
PY
elif command -v unzip >/dev/null 2>&1; then
  unzip -Z "$OUTPUT" "$EXE" host.json functions.metadata worker.config.json extensions.json
else
  echo "package: WARNING: no python3 or unzip on PATH; zip layout not re-read"
fi

echo "package: wrote $OUTPUT ($(wc -c <"$OUTPUT" | tr -d ' ') bytes, build id $BUILD_ID)"
