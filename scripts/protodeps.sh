#!/usr/bin/env bash
# Materialises the third-party .proto files our contracts import, from installed packages only, into
# build/protodeps (ignored; a module of buf.yaml's workspace) and build/proto/deps.binpb:
#   - buf/validate/validate.proto: its descriptor set is rebuilt from @bufbuild/protovalidate
#     (scripts/protodeps.ts) and printed back to .proto text (scripts/protoprint, Go);
#   - google/api/*.proto, google/rpc/*.proto: copied from npm google-proto-files, just the files that
#     proto/ imports and EXTRA_PROTOS (scripts/lib.sh), transitively.
# scripts/bootstrap.sh runs it whenever its inputs change.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

out=build/protodeps
rm -rf "$out" && mkdir -p "$out" build/proto "$TOOLS_BIN"
node_modules/.bin/tsx scripts/protodeps.ts build/proto/deps.binpb >/dev/null
(cd scripts/protoprint && GOFLAGS=-mod=mod go build -o "$TOOLS_BIN/protoprint" .)
"$TOOLS_BIN/protoprint" build/proto/deps.binpb "$out" buf/validate/validate.proto

src=node_modules/google-proto-files
queue=("${EXTRA_PROTOS[@]}" $(grep -rhoE '^import "google/(api|rpc)/[^"]+"' proto | sed -E 's/^import "(.*)"/\1/' | sort -u))
while [ ${#queue[@]} -gt 0 ]; do
  file="${queue[0]}"; queue=("${queue[@]:1}")
  [ -f "$out/$file" ] && continue
  [ -f "$src/$file" ] || { echo "protodeps: $file is not in $src" >&2; exit 1; }
  mkdir -p "$out/$(dirname "$file")" && cp "$src/$file" "$out/$file"
  queue+=($(grep -hoE '^import "google/(api|rpc)/[^"]+"' "$out/$file" | sed -E 's/^import "(.*)"/\1/' || true))
done
echo "protodeps: $(cd "$out" && find . -name '*.proto' | sort | tr '\n' ' ')"
