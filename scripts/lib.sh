# Shared helpers for the scripts in this folder. Source it; do not run it.
# shellcheck shell=bash

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="$ROOT/.venv/bin/python"
TOOLS_BIN="$ROOT/.tools/bin"
BUF="$ROOT/node_modules/.bin/buf"

# Third-party files compiled (and generated for TypeScript) although no contract imports them:
# google.rpc error details travel in error statuses that clients decode.
EXTRA_PROTOS=(google/rpc/error_details.proto)

# build_image OUT PROTO_ROOT: compiles every agentos/**/*.proto under PROTO_ROOT into a
# FileDescriptorSet (with imports and source info). Third-party imports resolve from build/protodeps,
# the same files buf reads (scripts/protodeps.sh writes them); google-proto-files is only a fallback
# for google/* files that older contracts (the breaking check's `main`) import and proto/ no longer does.
build_image() {
  local out="$1" proto_root="$2"
  [ -f "$ROOT/build/protodeps/buf/validate/validate.proto" ] || (cd "$ROOT" && scripts/protodeps.sh >/dev/null)
  local files
  mapfile -t files < <(cd "$proto_root" && find agentos -name '*.proto' | LC_ALL=C sort)
  "$PY" -m grpc_tools.protoc -I "$proto_root" -I "$ROOT/build/protodeps" -I "$ROOT/node_modules/google-proto-files" \
    --include_imports --include_source_info \
    --descriptor_set_out="$out" "${files[@]}" "${EXTRA_PROTOS[@]}"
}
