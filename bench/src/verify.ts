/**
 * Correctness checks before anything is measured: each variant answers the small unary call and the
 * embeddings batch with the right content, and every variant returns the same vectors (both stacks run
 * the same encoder, so they must agree to float32 precision). Load tools only see statuses; this is
 * where a wrong answer is caught.
 */
import { callOnce, decodeComplete, decodeEmbed } from "./clients.js";
import { EMBED_DIMENSIONS, EMBED_TEXTS, UNARY, type Payload } from "./payloads.js";
import type { Variant } from "./variants.js";

/** The outcome of one check. */
export interface Check {
  variant: string;
  workload: string;
  ok: boolean;
  detail: string;
  /** Size of the response message (gRPC: without its 5-byte frame header). */
  responseBytes?: number;
  /** The raw response (kept for the gateway-alone upstream, which replays real answers). */
  response?: Uint8Array;
}

/** Calls Complete once through `v` at `target` and checks the answer. */
export async function checkUnary(v: Variant, target: string, p: Payload): Promise<Check> {
  try {
    const bytes = await callOnce(v.protocol, target, p);
    const a = decodeComplete(v.protocol, bytes);
    const problems: string[] = [];
    if (!a.text) problems.push("empty text");
    if (a.finishReason !== "FINISH_REASON_LENGTH") problems.push(`finish reason ${a.finishReason}`);
    if (a.completionTokens !== UNARY.maxTokens) problems.push(`${a.completionTokens} completion tokens, want ${UNARY.maxTokens}`);
    return { variant: v.id, workload: "unary", ok: problems.length === 0, detail: problems.join("; ") || `text ${JSON.stringify(a.text)}`, responseBytes: bytes.length, response: bytes };
  } catch (e) {
    return { variant: v.id, workload: "unary", ok: false, detail: String(e instanceof Error ? e.message : e) };
  }
}

/** Calls Embed once through `v`; checks shape and unit length, returns the vectors for comparison. */
export async function checkEmbed(v: Variant, target: string, p: Payload): Promise<{ check: Check; vectors?: number[][] }> {
  try {
    const bytes = await callOnce(v.protocol, target, p);
    const { vectors } = decodeEmbed(v.protocol, bytes);
    const problems: string[] = [];
    if (vectors.length !== EMBED_TEXTS.length) problems.push(`${vectors.length} vectors, want ${EMBED_TEXTS.length}`);
    for (const [i, vec] of vectors.entries()) {
      if (vec.length !== EMBED_DIMENSIONS) {
        problems.push(`vector ${i} has ${vec.length} dimensions`);
        break;
      }
      const norm = Math.sqrt(vec.reduce((s, x) => s + x * x, 0));
      if (Math.abs(norm - 1) > 1e-3) {
        problems.push(`vector ${i} has norm ${norm.toFixed(4)}`);
        break;
      }
    }
    const check: Check = { variant: v.id, workload: "embed", ok: problems.length === 0, detail: problems.join("; ") || `${vectors.length}×${vectors[0]?.length ?? 0} unit vectors`, responseBytes: bytes.length };
    return { check, vectors };
  } catch (e) {
    return { check: { variant: v.id, workload: "embed", ok: false, detail: String(e instanceof Error ? e.message : e) } };
  }
}

/** Largest absolute difference between two sets of vectors (Infinity when shapes differ). */
export function maxDifference(a: number[][], b: number[][]): number {
  if (a.length !== b.length) return Infinity;
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number[];
    const y = b[i] as number[];
    if (x.length !== y.length) return Infinity;
    for (let j = 0; j < x.length; j++) worst = Math.max(worst, Math.abs((x[j] as number) - (y[j] as number)));
  }
  return worst;
}

/**
 * Checks that the mesh gateway at `metricsPage` carries its calls on worker links, each on its worker's
 * link socket (as any deployment does): the mesh measured is the mesh shipped.
 */
export async function checkLinks(metricsPage: string, pools: number): Promise<Check> {
  const sum = (text: string, name: string) =>
    text.split("\n").filter((l) => l.startsWith(name + "{")).reduce((n, l) => n + Number(l.substring(l.lastIndexOf(" ") + 1)), 0);
  try {
    const text = await (await fetch(metricsPage)).text();
    const links = sum(text, "agentos_gateway_replica_links_open");
    const sockets = sum(text, "agentos_gateway_replica_link_sockets_open");
    const ok = links >= pools && sockets === links;
    return { variant: "mesh", workload: "link", ok, detail: `${links} worker links open, ${sockets} on link sockets` };
  } catch (e) {
    return { variant: "mesh", workload: "link", ok: false, detail: String(e instanceof Error ? e.message : e) };
  }
}
