/**
 * gRPC server reflection, v1 and v1alpha, on the gateway: lists every service it serves (routed worker
 * services, health, reflection) and answers file requests from the descriptors it routes with, so
 * grpcurl and `buf curl` work without .proto files.
 */
import { create, toBinary } from "@bufbuild/protobuf";
import type { DescFile, DescMessage, DescService } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import type { ConnectRouter } from "@connectrpc/connect";
import { Code } from "@connectrpc/connect";
import { ReflectionServices } from "../descriptors/builtin.js";
import type { Catalog } from "../descriptors/registry.js";

interface ReflectionRequest {
  host: string;
  messageRequest:
    | { case: "fileByFilename" | "fileContainingSymbol" | "allExtensionNumbersOfType" | "listServices"; value: string }
    | { case: "fileContainingExtension"; value: { containingType: string; extensionNumber: number } }
    | { case: undefined; value?: undefined };
}

function fileBytes(file: DescFile): Uint8Array {
  return toBinary(FileDescriptorProtoSchema, file.proto);
}

/** The file and its transitive dependencies, dependencies first (what grpcurl expects to resolve). */
function withDeps(file: DescFile): DescFile[] {
  const out: DescFile[] = [];
  const seen = new Set<string>();
  const visit = (f: DescFile) => {
    if (seen.has(f.name)) return;
    seen.add(f.name);
    for (const d of f.dependencies) visit(d);
    out.push(f);
  };
  visit(file);
  return out.reverse();
}

/** Registers ServerReflectionInfo of both versions. `services()` lists the served services at call time. */
export function registerReflection(router: ConnectRouter, catalog: Catalog, services: () => DescService[]): void {
  for (const svc of ReflectionServices) {
    const method = svc.methods[0]!;
    const resDesc = method.output as DescMessage;
    const answer = (req: ReflectionRequest) => {
      const base = { validHost: req.host, originalRequest: req };
      const error = (code: Code, message: string) => create(resDesc, { ...base, messageResponse: { case: "errorResponse", value: { errorCode: code, errorMessage: message } } } as never);
      const files = (f: DescFile | undefined, what: string) =>
        f
          ? create(resDesc, { ...base, messageResponse: { case: "fileDescriptorResponse", value: { fileDescriptorProto: withDeps(f).map(fileBytes) } } } as never)
          : error(Code.NotFound, `${what} not found`);
      const r = req.messageRequest;
      switch (r.case) {
        case "listServices":
          return create(resDesc, {
            ...base,
            messageResponse: { case: "listServicesResponse", value: { service: services().map((s) => ({ name: s.typeName })) } },
          } as never);
        case "fileByFilename":
          return files(catalog.file(r.value), `file ${r.value}`);
        case "fileContainingSymbol":
          return files(catalog.fileOfSymbol(r.value), `symbol ${r.value}`);
        case "fileContainingExtension": {
          const ext = catalog.allFiles().flatMap((f) => f.extensions).find((x) => x.extendee.typeName === r.value.containingType && x.number === r.value.extensionNumber);
          return files(ext?.file, `extension ${r.value.extensionNumber} of ${r.value.containingType}`);
        }
        case "allExtensionNumbersOfType": {
          if (!catalog.registry.getMessage(r.value)) return error(Code.NotFound, `type ${r.value} not found`);
          const numbers = catalog.allFiles().flatMap((f) => f.extensions).filter((x) => x.extendee.typeName === r.value).map((x) => x.number);
          return create(resDesc, { ...base, messageResponse: { case: "allExtensionNumbersResponse", value: { baseTypeName: r.value, extensionNumber: numbers } } } as never);
        }
        default:
          return error(Code.InvalidArgument, "empty reflection request");
      }
    };
    router.rpc(method as never, (async function* (requests: AsyncIterable<ReflectionRequest>) {
      for await (const req of requests) yield answer(req);
    }) as never);
  }
}
