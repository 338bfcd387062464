/**
 * gRPC status as it travels in trailers: `grpc-status`, `grpc-message` (percent-encoded) and
 * `grpc-status-details-bin` (a base64 `google.rpc.Status`). Converts to and from ConnectError so a status
 * keeps its code, message and details whichever protocol carries it.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { create, toBinary } from "@bufbuild/protobuf";
import { BinaryReader, BinaryWriter } from "@bufbuild/protobuf/wire";

/** A detail of a status: the type name without its URL prefix, and the encoded message. */
export interface StatusDetail {
  type: string;
  value: Uint8Array;
}

/** A decoded gRPC status. */
export interface GrpcStatus {
  /** 0 is OK; connect's Code has no member for it. */
  code: Code | 0;
  message: string;
  details: StatusDetail[];
}

const TYPE_URL_PREFIX = "type.googleapis.com/";

/** Encodes a google.rpc.Status. */
export function encodeStatusProto(status: GrpcStatus): Uint8Array {
  const w = new BinaryWriter();
  if (status.code !== 0) w.tag(1, 0).int32(status.code);
  if (status.message !== "") w.tag(2, 2).string(status.message);
  for (const d of status.details) {
    w.tag(3, 2).fork();
    w.tag(1, 2).string(d.type.includes("/") ? d.type : TYPE_URL_PREFIX + d.type);
    w.tag(2, 2).bytes(d.value);
    w.join();
  }
  return w.finish();
}

/** Decodes a google.rpc.Status; throws on malformed input. */
export function decodeStatusProto(bytes: Uint8Array): GrpcStatus {
  const r = new BinaryReader(bytes);
  const status: GrpcStatus = { code: Code.Unknown, message: "", details: [] };
  let code = 0;
  while (r.pos < r.len) {
    const [field, wireType] = r.tag();
    if (field === 1 && wireType === 0) code = r.int32();
    else if (field === 2 && wireType === 2) status.message = r.string();
    else if (field === 3 && wireType === 2) {
      const any = new BinaryReader(r.bytes());
      const d: StatusDetail = { type: "", value: new Uint8Array(0) };
      while (any.pos < any.len) {
        const [f, t] = any.tag();
        if (f === 1 && t === 2) {
          const url = any.string();
          d.type = url.substring(url.lastIndexOf("/") + 1);
        } else if (f === 2 && t === 2) d.value = Uint8Array.from(any.bytes());
        else any.skip(t);
      }
      status.details.push(d);
    } else r.skip(wireType);
  }
  status.code = code as Code | 0;
  return status;
}

/** Percent-encodes a grpc-message value (gRPC over HTTP/2 spec). */
export function encodeGrpcMessage(message: string): string {
  return encodeURIComponent(message).replace(/%20/g, " ");
}

/** Decodes a grpc-message value; leaves malformed input as it is. */
export function decodeGrpcMessage(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

type HeaderSource = Record<string, string | string[] | undefined>;

function first(h: HeaderSource, name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * Reads the status from trailers (or from the headers of a trailers-only response).
 * Returns undefined when there is no grpc-status at all.
 */
export function statusFromTrailers(trailers: HeaderSource): GrpcStatus | undefined {
  const raw = first(trailers, "grpc-status");
  if (raw === undefined) return undefined;
  const code = Number.parseInt(raw, 10);
  const status: GrpcStatus = {
    code: Number.isInteger(code) && code >= 0 && code <= 16 ? (code as Code | 0) : Code.Unknown,
    message: decodeGrpcMessage(first(trailers, "grpc-message") ?? ""),
    details: [],
  };
  const bin = first(trailers, "grpc-status-details-bin");
  if (bin !== undefined && status.code !== 0) {
    try {
      const decoded = decodeStatusProto(Buffer.from(bin, "base64"));
      status.details = decoded.details;
      if (status.message === "" && decoded.message !== "") status.message = decoded.message;
    } catch {
      // A malformed details header leaves the status as code and message only.
    }
  }
  return status;
}

/** The trailers that carry a status. */
export function statusToTrailers(status: GrpcStatus): Record<string, string> {
  const t: Record<string, string> = { "grpc-status": String(status.code) };
  if (status.message !== "") t["grpc-message"] = encodeGrpcMessage(status.message);
  if (status.details.length > 0) {
    t["grpc-status-details-bin"] = Buffer.from(encodeStatusProto(status)).toString("base64").replace(/=+$/, "");
  }
  return t;
}

/** Converts any error to a status: a ConnectError keeps code, message and details. */
export function statusFromError(err: unknown): GrpcStatus {
  const ce = ConnectError.from(err);
  return {
    code: ce.code,
    message: ce.rawMessage,
    details: ce.details.map((d) =>
      "desc" in d
        ? { type: d.desc.typeName, value: toBinary(d.desc, create(d.desc, d.value)) }
        : { type: d.type, value: d.value },
    ),
  };
}

/** Converts a status to a ConnectError that keeps its details as received. */
export function statusToError(status: GrpcStatus, metadata?: HeadersInit): ConnectError {
  const err = new ConnectError(status.message, status.code === 0 ? Code.Unknown : status.code, metadata);
  err.details = status.details.map((d) => ({ type: d.type, value: d.value }));
  return err;
}

/**
 * The status for a worker whose response ended `bytes` into an unfinished message: the worker is out of
 * protocol (Internal), and the partial message is never passed on as if it were whole.
 */
export function endedInsideMessage(bytes: number): GrpcStatus {
  return { code: Code.Internal, message: `worker's response ended in the middle of a message (${bytes} bytes of an unfinished one)`, details: [] };
}
