import { writeFileSync } from "node:fs";
import { create, toBinary, type DescFile } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema, type FileDescriptorProto } from "@bufbuild/protobuf/wkt";
import { file_agentos_model_v1_model } from "../../gen/ts/agentos/model/v1/model_pb.js";

/**
 * Writes a FileDescriptorSet of the model contract and everything it imports, built from the generated
 * code's embedded descriptors, for ghz against a target without server reflection (the native upstream).
 */
export function writeModelProtoset(path: string): string {
  const files: FileDescriptorProto[] = [];
  const seen = new Set<string>();
  const visit = (f: DescFile) => {
    if (seen.has(f.name)) return;
    seen.add(f.name);
    for (const d of f.dependencies) visit(d);
    files.push(f.proto);
  };
  visit(file_agentos_model_v1_model);
  writeFileSync(path, toBinary(FileDescriptorSetSchema, create(FileDescriptorSetSchema, { file: files })));
  return path;
}
