#!/usr/bin/env bash
# Regenerates gen/ts and gen/python from proto/ with local tools only.
#
#   scripts/gen.sh            regenerate into ./gen
#   scripts/gen.sh OUT_ROOT   generate into OUT_ROOT/gen (used by the stale check)
#
# Steps: (1) rebuild buf/validate/validate.proto's descriptor set from @bufbuild/protovalidate;
# (2) compile the contracts with grpcio-tools' protoc into an image (google/api sources from
# google-proto-files); (3) buf generate the TypeScript from the image; (4) grpcio-tools generates Python.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

out_root="${1:-.}"
build=build/proto
mkdir -p "$build"

build_image "$build/image.binpb" proto

rm -rf "$out_root/gen/ts" "$out_root/gen/python"
mkdir -p "$out_root/gen/python"

node_modules/.bin/buf generate "$build/image.binpb" \
  --template buf.gen.yaml -o "$out_root" \
  --exclude-path buf --exclude-path google/protobuf

mapfile -t files < <(cd proto && find agentos -name '*.proto' | LC_ALL=C sort)
mapfile -t service_files < <(cd proto && grep -l '^service ' "${files[@]}" | LC_ALL=C sort)
"$PY" -m grpc_tools.protoc --descriptor_set_in="$build/image.binpb" \
  --python_out="$out_root/gen/python" --pyi_out="$out_root/gen/python" \
  "${files[@]}" buf/validate/validate.proto
"$PY" -m grpc_tools.protoc --descriptor_set_in="$build/image.binpb" \
  --grpc_python_out="$out_root/gen/python" "${service_files[@]}"
# Packages need no __init__.py (namespace packages), but type checkers and some tools want them.
find "$out_root/gen/python" -mindepth 1 -type d -exec touch {}/__init__.py \;
echo "generated $out_root/gen/ts and $out_root/gen/python from ${#files[@]} files"
