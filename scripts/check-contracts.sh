#!/usr/bin/env bash
# Contract checks: buf lint, buf format, buf breaking against main, generated code up to date, and the
# TypeScript project type-checks. Prints one line per check and writes the counts for scripts/test.sh.
#
#   scripts/check-contracts.sh [COUNTS_FILE]
#
# AGENTOS_BREAKING_AGAINST=<git ref> compares against another ref than main.
set -uo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

counts_file="${1:-build/test-results/contracts.counts}"
mkdir -p build/proto "$(dirname "$counts_file")"
passed=0 failed=0 skipped=0
log_dir="$(dirname "$counts_file")/contracts"
mkdir -p "$log_dir"

# check NAME COMMAND...: runs COMMAND, prints ok/FAIL with the command's output on failure.
check() {
  local name="$1"; shift
  local slug="${name//[^A-Za-z0-9]/-}"
  local log="$log_dir/$slug.log"
  if "$@" >"$log" 2>&1; then
    printf '  ok    %s\n' "$name"
    passed=$((passed + 1))
  else
    printf '  FAIL  %s\n' "$name"
    sed 's/^/        /' "$log" | head -n 40
    failed=$((failed + 1))
  fi
}
skip() {
  printf '  skip  %s (%s)\n' "$1" "$2"
  skipped=$((skipped + 1))
}

echo "contract checks"
image=build/proto/image.binpb
check "contracts compile" build_image "$image" proto
check "buf lint" "$BUF" lint
check "buf format" "$BUF" format --diff --exit-code proto

against="${AGENTOS_BREAKING_AGAINST:-main}"
# A clone that has main only as a remote branch (a CI checkout of another branch) compares with that.
if [ -z "${AGENTOS_BREAKING_AGAINST:-}" ] && ! git rev-parse --verify --quiet "main^{commit}" >/dev/null \
   && git rev-parse --verify --quiet "origin/main^{commit}" >/dev/null; then
  against=origin/main
fi
if git rev-parse --verify --quiet "$against^{commit}" >/dev/null \
   && [ -n "$(git ls-tree -d "$against" proto 2>/dev/null)" ]; then
  breaking() {
    local dir=build/proto/against
    rm -rf "$dir" && mkdir -p "$dir"
    git archive "$against" proto | tar -x -C "$dir"
    build_image build/proto/against.binpb "$dir/proto" &&
      "$BUF" breaking "$image" --against build/proto/against.binpb --path agentos \
        --error-format text ||
      { echo "buf breaking: the contracts changed incompatibly against '$against' (see above)."; return 1; }
  }
  check "buf breaking against $against" breaking
else
  skip "buf breaking" "no contracts on '$against' yet"
fi

stale() {
  local tmp=build/gen-check
  rm -rf "$tmp" && mkdir -p "$tmp"
  scripts/gen.sh "$tmp" >/dev/null || return 1
  if ! diff -r -q -x __pycache__ gen "$tmp/gen"; then
    echo "gen/ is stale: the generated code differs from what proto/ produces. Run 'make gen' and commit gen/."
    return 1
  fi
}
check "gen/ is up to date" stale
check "TypeScript type-checks (strict)" node_modules/.bin/tsc -p tsconfig.json --noEmit

echo "$passed $failed $skipped" >"$counts_file"
[ "$failed" -eq 0 ]
