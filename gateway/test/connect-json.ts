/**
 * Connect JSON server streams on the wire, for gateway tests that look at the bytes themselves: the
 * request envelope (optionally gzip-compressed, which takes connect-node's decoding path instead of the
 * relay) and the response split into its envelopes.
 */
import { gzipSync } from "node:zlib";

/** One envelope of a Connect stream: its flags (0 a message, 2 the end of the stream) and its JSON. */
export interface JsonEnvelope {
  flags: number;
  json: Record<string, unknown>;
}

/** Splits a Connect JSON streaming body into its envelopes. */
export function jsonEnvelopes(body: Buffer): JsonEnvelope[] {
  const out: JsonEnvelope[] = [];
  for (let off = 0; off + 5 <= body.byteLength; ) {
    const len = body.readUInt32BE(off + 1);
    out.push({ flags: body[off]!, json: JSON.parse(body.subarray(off + 5, off + 5 + len).toString()) as Record<string, unknown> });
    off += 5 + len;
  }
  return out;
}

/**
 * POSTs one `application/connect+json` request (the message `json`, gzip-compressed when `compressed`)
 * to `url` and reads the whole response.
 */
export async function connectJsonStream(
  url: string,
  json: string,
  opts: { compressed?: boolean; headers?: Record<string, string> } = {},
): Promise<{ status: number; contentType: string | null; envelopes: JsonEnvelope[] }> {
  const payload = opts.compressed ? gzipSync(json) : Buffer.from(json);
  const head = Buffer.alloc(5);
  head[0] = opts.compressed ? 1 : 0;
  head.writeUInt32BE(payload.byteLength, 1);
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/connect+json", ...(opts.compressed ? { "connect-content-encoding": "gzip" } : {}), ...opts.headers },
    body: Buffer.concat([head, payload]),
  });
  return { status: res.status, contentType: res.headers.get("content-type"), envelopes: jsonEnvelopes(Buffer.from(await res.arrayBuffer())) };
}
