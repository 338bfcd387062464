/**
 * Doc comments of the contracts, for OpenAPI descriptions. protoc-gen-es embeds descriptors without source
 * info, so the comments are read from the committed `.proto` sources at start-up (parsed by protobufjs)
 * and looked up by full name: `agentos.model.v1.GenerateRequest`, `agentos.model.v1.GenerateRequest.model`,
 * `agentos.model.v1.ModelService.Generate`, `agentos.model.v1.ChatRole.CHAT_ROLE_USER`.
 *
 * When the sources are not there (a deployment that ships only the generated code), the lookup is empty and
 * the document simply has no descriptions.
 *
 * ```ts
 * const comments = loadProtoComments();
 * comments.get("agentos.model.v1.ModelService.Generate"); // "Generate streams the answer as it is produced. ..."
 * ```
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import protobuf from "protobufjs";

/** Doc comments by full protobuf name. */
export interface ProtoComments {
  get(fullName: string): string | undefined;
  /** How many elements have a comment. */
  readonly size: number;
}

/** The contracts folder of this repository. */
export const defaultProtoRoot = fileURLToPath(new URL("../../../proto/", import.meta.url));

/** Reads every `.proto` file under `roots`; unreadable or unparsable files are skipped. */
export function loadProtoComments(roots: readonly string[] = [defaultProtoRoot]): ProtoComments {
  const map = new Map<string, string>();
  for (const root of roots) {
    for (const file of protoFiles(root)) {
      let parsed: protobuf.IParserResult;
      try {
        parsed = protobuf.parse(readFileSync(file, "utf8"), { keepCase: true, alternateCommentMode: true });
      } catch {
        continue;
      }
      collect(parsed.root, map);
    }
  }
  return { get: (name) => map.get(name), size: map.size };
}

function protoFiles(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const name of names.sort()) {
    const path = join(dir, name);
    if (name.endsWith(".proto")) out.push(path);
    else if (!name.startsWith(".") && statSync(path).isDirectory()) out.push(...protoFiles(path));
  }
  return out;
}

function put(map: Map<string, string>, name: string, comment: string | null | undefined): void {
  if (!comment) return;
  // Source comments are wrapped at ~110 columns: keep paragraphs, join wrapped lines.
  map.set(name.replace(/^\./, ""), comment.trim().replace(/([^\n])\n(?!\n)/g, "$1 "));
}

function collect(ns: protobuf.NamespaceBase, map: Map<string, string>): void {
  for (const child of ns.nestedArray) {
    if (child instanceof protobuf.Type) {
      put(map, child.fullName, child.comment);
      for (const f of child.fieldsArray) put(map, f.fullName, f.comment);
      for (const o of child.oneofsArray) put(map, o.fullName, o.comment);
    } else if (child instanceof protobuf.Enum) {
      put(map, child.fullName, child.comment);
      for (const [value, comment] of Object.entries(child.comments)) put(map, `${child.fullName}.${value}`, comment);
    } else if (child instanceof protobuf.Service) {
      put(map, child.fullName, child.comment);
      for (const m of child.methodsArray) put(map, m.fullName, m.comment);
    }
    if (child instanceof protobuf.Namespace) collect(child, map);
  }
}
