/**
 * Error mapping for REST: gRPC code → HTTP status (the table grpc-gateway, Envoy and Google APIs use) and
 * the `google.rpc.Status` JSON body every REST error carries.
 *
 * ```ts
 * httpStatusFromCode(Code.NotFound); // 404
 * statusToJson(new ConnectError("no such agent", Code.NotFound), registry); // {code: 5, message: "no such agent", details: []}
 * ```
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { create, toJson, type JsonObject, type JsonValue, type Registry } from "@bufbuild/protobuf";
import { AnySchema, anyPack } from "@bufbuild/protobuf/wkt";
import { base64Encode } from "@bufbuild/protobuf/wire";

const statusByCode: Record<Code, number> = {
  [Code.Canceled]: 499,
  [Code.Unknown]: 500,
  [Code.InvalidArgument]: 400,
  [Code.DeadlineExceeded]: 504,
  [Code.NotFound]: 404,
  [Code.AlreadyExists]: 409,
  [Code.PermissionDenied]: 403,
  [Code.ResourceExhausted]: 429,
  [Code.FailedPrecondition]: 400,
  [Code.Aborted]: 409,
  [Code.OutOfRange]: 400,
  [Code.Unimplemented]: 501,
  [Code.Internal]: 500,
  [Code.Unavailable]: 503,
  [Code.DataLoss]: 500,
  [Code.Unauthenticated]: 401,
};

/** The HTTP status for a gRPC code (InvalidArgument 400, NotFound 404, Unavailable 503, ...). */
export function httpStatusFromCode(code: Code): number {
  return statusByCode[code] ?? 500;
}

/**
 * An error raised by the transcoder itself (before or instead of an upstream call) whose HTTP status is not
 * the one the code table gives: 405 (with `Allow`), 413, 415. It is still a ConnectError with a precise
 * code, so the body is the same `google.rpc.Status` JSON as for any other error.
 */
export class RestError extends ConnectError {
  constructor(
    message: string,
    code: Code,
    /** The HTTP status to answer with; defaults to the table's status for `code`. */
    readonly httpStatus: number = httpStatusFromCode(code),
    /** Extra response headers, e.g. `Allow` for a 405. */
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message, code);
  }

  // ConnectError's own hasInstance accepts any ConnectError-like value; a RestError is only a RestError.
  static override [Symbol.hasInstance](v: unknown): boolean {
    return v instanceof ConnectError && Object.prototype.isPrototypeOf.call(RestError.prototype, v);
  }
}

/** Shorthand for the most common transcoder error: 400 INVALID_ARGUMENT. */
export function badRequest(message: string): RestError {
  return new RestError(message, Code.InvalidArgument);
}

/** The HTTP status to answer an error with. */
export function httpStatusOf(err: ConnectError): number {
  return err instanceof RestError ? err.httpStatus : httpStatusFromCode(err.code);
}

/**
 * `google.rpc.Status` in its canonical JSON form: `{"code": 5, "message": "...", "details": [...]}`.
 * Details become `google.protobuf.Any` JSON (`{"@type": "type.googleapis.com/...", ...fields}`) when their
 * type is in the registry; a detail of an unknown type keeps its bytes: `{"@type": ..., "value": base64}`.
 */
export function statusToJson(err: ConnectError, registry: Registry): JsonObject {
  const details: JsonValue[] = [];
  for (const detail of err.details) {
    const any =
      "desc" in detail
        ? anyPack(detail.desc, create(detail.desc, detail.value))
        : create(AnySchema, { typeUrl: `type.googleapis.com/${detail.type}`, value: detail.value });
    try {
      details.push(toJson(AnySchema, any, { registry }));
    } catch {
      details.push({ "@type": any.typeUrl, value: base64Encode(any.value) });
    }
  }
  return { code: err.code, message: err.rawMessage, details };
}
