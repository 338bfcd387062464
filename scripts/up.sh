#!/usr/bin/env bash
# Runs the whole mesh on this machine: NATS JetStream, every worker, and the gateway.
# Installs what is missing first, waits until each part is healthy, prints where to go.
# Ctrl-C (or SIGTERM) stops everything: workers drain their streams, then exit.
#
#   scripts/up.sh            (what `make up` runs)
#
# Ports (DESIGN.md §10) can be moved with AGENTOS_GATEWAY_PORT, AGENTOS_NATS_PORT and
# AGENTOS_<WORKER>_PORT (e.g. AGENTOS_MODEL_PORT). Logs go to data/logs/.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

scripts/bootstrap.sh

logs=data/logs
mkdir -p "$logs" data/nats
pids=()
names=()

stop_all() {
  trap - INT TERM EXIT
  echo
  echo "stopping..."
  local i
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    kill -TERM "${pids[$i]}" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  echo "stopped"
}
# A stop the user asked for (Ctrl-C, SIGTERM) is a success once everything has drained.
trap 'stop_all; exit 0' INT TERM
trap stop_all EXIT

# start NAME COMMAND...: runs COMMAND in the background with its output in data/logs/NAME.log.
start() {
  local name="$1"; shift
  "$@" >"$logs/$name.log" 2>&1 &
  pids+=("$!")
  names+=("$name")
}
fail() {
  echo "error: $1 (see $logs/$2.log):" >&2
  tail -n 20 "$logs/$2.log" >&2 || true
  exit 1
}

nats_port="${AGENTOS_NATS_PORT:-4222}"
nats_monitor="${AGENTOS_NATS_MONITOR_PORT:-8222}"
gateway_port="${AGENTOS_GATEWAY_PORT:-8080}"
# Workers: name and default port (DESIGN.md §10). A worker runs when its module exists.
declare -A worker_ports=([model]=50051 [embedding]=50052 [langchain]=50053 [crewai]=50054 [swarms]=50055 [autogen]=50056)

# Every port must be free before anything starts: a part still running from an earlier `make up` would
# answer the health checks in place of the new one.
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
busy=()
check_port() { port_busy "$1" && busy+=("$1 ($2; move it with $3)"); return 0; }
check_port "$nats_port" NATS AGENTOS_NATS_PORT
check_port "$nats_monitor" "NATS monitoring" AGENTOS_NATS_MONITOR_PORT
for name in model embedding langchain crewai swarms autogen; do
  [ -f "workers/$name/__main__.py" ] || continue
  var="AGENTOS_${name^^}_PORT"
  check_port "${!var:-${worker_ports[$name]}}" "$name worker" "$var"
done
[ -f gateway/src/main.ts ] && check_port "$gateway_port" gateway AGENTOS_GATEWAY_PORT
if [ ${#busy[@]} -gt 0 ]; then
  trap - EXIT
  echo "error: in use on 127.0.0.1 (is a mesh from an earlier \`make up\` still running?):" >&2
  printf '  port %s\n' "${busy[@]}" >&2
  exit 1
fi

start nats "$ROOT/.venv/bin/nats-server" -a 127.0.0.1 -p "$nats_port" -m "$nats_monitor" \
  -js -sd "$ROOT/data/nats" -n agentos-local
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$nats_monitor/healthz?js-enabled-only=true" >/dev/null 2>&1 && break
  kill -0 "${pids[-1]}" 2>/dev/null || fail "NATS exited" nats
  sleep 0.1
done
curl -fsS "http://127.0.0.1:$nats_monitor/healthz?js-enabled-only=true" >/dev/null 2>&1 || fail "NATS did not start" nats
echo "nats       nats://127.0.0.1:$nats_port (JetStream in data/nats)"

started_workers=()
for name in model embedding langchain crewai swarms autogen; do
  [ -f "workers/$name/__main__.py" ] || continue
  var="AGENTOS_${name^^}_PORT"
  port="${!var:-${worker_ports[$name]}}"
  start "$name" env AGENTOS_NATS_URL="nats://127.0.0.1:$nats_port" \
    "$PY" -m "workers.$name" --port "$port"
  started_workers+=("$name:$port:${pids[-1]}")
done
for entry in "${started_workers[@]}"; do
  IFS=: read -r name port pid <<<"$entry"
  # --pid: a worker that exits while loading fails at once, not after the timeout.
  "$PY" scripts/wait_grpc_health.py "127.0.0.1:$port" --timeout 300 --pid "$pid" || fail "$name worker is not healthy" "$name"
  printf '%-10s grpc://127.0.0.1:%s\n' "$name" "$port"
done

# The web client the gateway serves at / (web/dist): rebuilt only when its sources changed.
if [ -f web/vite.config.ts ]; then
  web_inputs=$(find web/index.html web/vite.config.ts web/src gen/ts package-lock.json -type f | LC_ALL=C sort)
  web_hash=$(cat $web_inputs | sha256sum)
  if [ ! -f web/dist/index.html ] || [ "$(cat build/stamps/web 2>/dev/null)" != "$web_hash" ]; then
    node_modules/.bin/vite build --config web/vite.config.ts >"$logs/web-build.log" 2>&1 || fail "the web client did not build" web-build
    mkdir -p build/stamps && echo "$web_hash" >build/stamps/web
  fi
fi

if [ -f gateway/src/main.ts ]; then
  # The gateway's pools (gateway/config/local.yaml) follow the workers started above: a worker on a moved
  # port is found there, and a pool disabled until its worker exists (DocumentService) is enabled by it.
  pool_env=()
  for entry in "${started_workers[@]}"; do
    IFS=: read -r name port _ <<<"$entry"
    case "$name" in
      model) pool_env+=("AGENTOS_POOL_MODELSERVICE=127.0.0.1:$port") ;;
      embedding) pool_env+=("AGENTOS_POOL_EMBEDDINGSERVICE=127.0.0.1:$port") ;;
      langchain) pool_env+=("AGENTOS_POOL_DOCUMENTSERVICE=127.0.0.1:$port") ;;
    esac
  done
  # The gateway runs as an esbuild bundle (build/gateway/main.mjs, gateway/build.ts) on plain Node:
  # rebuilt only when its sources changed.
  gw_inputs=$(find gateway/src gen/ts gateway/build.ts bench/baseline/gateway package.json package-lock.json -type f -name '*.ts' -o -type f -name 'package*.json' | LC_ALL=C sort)
  gw_hash=$(cat $gw_inputs | sha256sum)
  if [ ! -f build/gateway/main.mjs ] || [ "$(cat build/stamps/gateway 2>/dev/null)" != "$gw_hash" ]; then
    node --import tsx gateway/build.ts >"$logs/gateway-build.log" 2>&1 || fail "the gateway did not build" gateway-build
    mkdir -p build/stamps && echo "$gw_hash" >build/stamps/gateway
  fi
  # --initial-old-space-size: V8's first heap limit; the README's Gateway section says why.
  start gateway env AGENTOS_NATS_URL="nats://127.0.0.1:$nats_port" "${pool_env[@]}" \
    node --enable-source-maps --initial-old-space-size=64 build/gateway/main.mjs --config gateway/config/local.yaml --port "$gateway_port"
  for _ in $(seq 1 300); do
    curl -fsS "http://127.0.0.1:$gateway_port/readyz" >/dev/null 2>&1 && break
    kill -0 "${pids[-1]}" 2>/dev/null || fail "the gateway exited" gateway
    sleep 0.2
  done
  curl -fsS "http://127.0.0.1:$gateway_port/readyz" >/dev/null 2>&1 || fail "the gateway is not ready" gateway
  echo
  echo "gateway    http://127.0.0.1:$gateway_port   (Connect, gRPC, gRPC-Web, REST on one port)"
  echo "web        http://127.0.0.1:$gateway_port/"
  echo "health     http://127.0.0.1:$gateway_port/readyz    metrics: /metrics"
fi

echo
echo "the mesh is up; logs in $logs/. Press Ctrl-C to stop."
# Stay in the foreground until interrupted or a process dies.
while true; do
  for i in "${!pids[@]}"; do
    if ! kill -0 "${pids[$i]}" 2>/dev/null; then
      fail "${names[$i]} exited" "${names[$i]}"
    fi
  done
  sleep 1
done
