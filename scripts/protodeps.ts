/**
 * Writes a FileDescriptorSet holding `buf/validate/validate.proto` and everything it imports.
 *
 * No installed package ships `validate.proto` as source; `@bufbuild/protovalidate` ships it compiled
 * (the descriptor embedded in its generated code). Code generation compiles our contracts against this
 * set (`protoc --descriptor_set_in`), so nothing is downloaded and no copy of the file is committed.
 *
 *   tsx scripts/protodeps.ts build/proto/deps.binpb
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { create, toBinary, type DescFile } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { file_buf_validate_validate } from "@bufbuild/protovalidate/gen/buf/validate/validate_pb.js";

function collect(file: DescFile, seen: Map<string, DescFile>): void {
  if (seen.has(file.name)) return;
  for (const dep of file.dependencies) collect(dep, seen);
  seen.set(file.name, file);
}

const out = process.argv[2];
if (!out) {
  console.error("usage: protodeps.ts OUT.binpb");
  process.exit(2);
}
const files = new Map<string, DescFile>();
collect(file_buf_validate_validate, files);
const set = create(FileDescriptorSetSchema, { file: [...files.values()].map((f) => f.proto) });
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, toBinary(FileDescriptorSetSchema, set));
console.log(`wrote ${out}: ${[...files.keys()].join(", ")}`);
