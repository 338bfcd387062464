#!/usr/bin/env bash
# Runs every test suite and ends with one line: "N passed, N failed, N skipped" summed over all of them.
# Installs what is missing first (scripts/bootstrap.sh). Exits non-zero if anything failed.
#
#   scripts/test.sh                 everything: contract checks, TypeScript (vitest), Python (pytest)
#   scripts/test.sh contracts ts py only the named suites
set -uo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

scripts/bootstrap.sh || { echo "bootstrap failed" >&2; echo "0 passed, 1 failed, 0 skipped"; exit 1; }

suites=("$@")
[ ${#suites[@]} -gt 0 ] || suites=(contracts ts py)
# Each run writes to its own folder (runs started side by side in one checkout must not mix counts);
# build/test-results/latest points at the newest. Folders of earlier runs older than a day are removed.
mkdir -p build/test-results
find build/test-results -mindepth 1 -maxdepth 1 -type d -name 'run-*' -mmin +1440 -exec rm -rf {} + 2>/dev/null
results="build/test-results/run-$(date +%Y%m%d-%H%M%S)-$$"
mkdir -p "$results"
ln -sfn "$(basename "$results")" build/test-results/latest

total_passed=0 total_failed=0 total_skipped=0
add_counts() { # add_counts SUITE PASSED FAILED SKIPPED; counts that are not numbers (a results file cut short) are one failure
  if ! [[ "$2" =~ ^[0-9]+$ && "$3" =~ ^[0-9]+$ && "$4" =~ ^[0-9]+$ ]]; then
    echo "$1: could not read its results; counted as a failure" >&2
    set -- "$1" 0 1 0
  fi
  printf '%-10s %s passed, %s failed, %s skipped\n' "$1" "$2" "$3" "$4" >>"$results/summary.txt"
  total_passed=$((total_passed + $2)); total_failed=$((total_failed + $3)); total_skipped=$((total_skipped + $4))
}

for suite in "${suites[@]}"; do
  echo
  case "$suite" in
    contracts)
      scripts/check-contracts.sh "$results/contracts.counts"
      if [ -s "$results/contracts.counts" ]; then
        read -r p f s <"$results/contracts.counts"; add_counts contracts "${p:-}" "${f:-}" "${s:-}"
      else
        add_counts contracts 0 1 0
      fi
      ;;
    ts)
      echo "TypeScript tests (vitest)"
      node_modules/.bin/vitest run --passWithNoTests --reporter=default \
        --reporter=json --outputFile.json="$results/vitest.json"
      rc=$?
      if [ -s "$results/vitest.json" ]; then
        read -r p f s < <(node -e '
          const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
          // A file that failed to load counts as a failure even though it ran no test.
          const broken = r.testResults.filter((t) => t.status === "failed" && t.assertionResults.length === 0).length;
          console.log(r.numPassedTests, r.numFailedTests + broken, r.numPendingTests + r.numTodoTests);
        ' "$results/vitest.json")
        [ "$rc" -ne 0 ] && [ "${f:-0}" = 0 ] && f=1
        add_counts ts "${p:-}" "${f:-}" "${s:-}"
      else
        add_counts ts 0 1 0
      fi
      ;;
    py)
      echo "Python tests (pytest)"
      "$PY" -m pytest --junitxml="$results/pytest.xml"
      rc=$?
      if [ -s "$results/pytest.xml" ]; then
        read -r p f s < <("$PY" - "$results/pytest.xml" <<'PYEOF'
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
suites = [root] if root.tag == "testsuite" else list(root)
t = sum(int(s.get("tests", 0)) for s in suites)
f = sum(int(s.get("failures", 0)) + int(s.get("errors", 0)) for s in suites)
k = sum(int(s.get("skipped", 0)) for s in suites)
print(t - f - k, f, k)
PYEOF
)
        # pytest exits 5 when it collected nothing: that is not a failure of the run.
        [ "$rc" -ne 0 ] && [ "$rc" -ne 5 ] && [ "${f:-0}" = 0 ] && f=1
        add_counts py "${p:-}" "${f:-}" "${s:-}"
      else
        add_counts py 0 1 0
      fi
      ;;
    *)
      echo "unknown suite: $suite (known: contracts ts py)" >&2
      add_counts "$suite" 0 1 0
      ;;
  esac
done

echo
echo "summary"
sed 's/^/  /' "$results/summary.txt"
echo "${total_passed} passed, ${total_failed} failed, ${total_skipped} skipped"
[ "$total_failed" -eq 0 ]
