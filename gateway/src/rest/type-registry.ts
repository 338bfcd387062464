/**
 * The type registry for REST JSON: every message and enum of the services' files and of their imports
 * (so `google.protobuf.Any` fields and error details of those types have a JSON form), plus
 * `google.rpc.Status` with the standard `google.rpc` error details (BadRequest, RetryInfo, ...) that
 * workers attach, and any registry the caller adds.
 */
import { createRegistry, type DescFile, type DescService, type Registry } from "@bufbuild/protobuf";
import { file_google_rpc_error_details } from "../../../gen/ts/google/rpc/error_details_pb.js";
import { file_google_rpc_status } from "../../../gen/ts/google/rpc/status_pb.js";

/** Builds the registry for `services`; `extra` adds types (e.g. error details a worker attaches). */
export function registryFor(services: readonly DescService[], extra?: Registry): Registry {
  const files = new Set<DescFile>();
  const add = (f: DescFile): void => {
    if (files.has(f)) return;
    files.add(f);
    f.dependencies.forEach(add);
  };
  services.forEach((s) => add(s.file));
  add(file_google_rpc_status);
  add(file_google_rpc_error_details);
  return extra ? createRegistry(...files, extra) : createRegistry(...files);
}
