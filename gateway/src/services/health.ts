/**
 * grpc.health.v1.Health on the gateway itself. The empty service name stands for the gateway as a whole
 * (SERVING when every enabled pool has a healthy replica, as /readyz); a routed service's name reports
 * its pool; any other name is SERVICE_UNKNOWN for Watch and NOT_FOUND for Check, as the spec says.
 */
import { create } from "@bufbuild/protobuf";
import type { ConnectRouter, HandlerContext } from "@connectrpc/connect";
import { Code, ConnectError } from "@connectrpc/connect";
import { setTimeout as sleep } from "node:timers/promises";
import { HealthCheckResponseDesc, HealthService } from "../descriptors/builtin.js";
import { ServingStatus } from "../pool/health-check.js";

/** What the health service asks about. */
export interface HealthSource {
  /** Status of "" (the gateway) or a service name; undefined for an unknown name. */
  status(service: string): ServingStatus | undefined;
}

/**
 * Registers Check and Watch. `watchIntervalMs` is how often Watch re-reads the status; a Watch sends
 * the status first and then each change, and ends when the call is cancelled (client gone, deadline),
 * holding at most one listener on the call's abort signal however long it runs.
 */
export function registerHealth(router: ConnectRouter, source: HealthSource, watchIntervalMs = 500): void {
  const check = HealthService.methods.find((m) => m.name === "Check")!;
  const watch = HealthService.methods.find((m) => m.name === "Watch")!;
  const reply = (status: ServingStatus) => create(HealthCheckResponseDesc, { status } as never);
  router.rpc(check as never, ((req: { service: string }) => {
    const s = source.status(req.service);
    if (s === undefined) throw new ConnectError(`unknown service ${req.service}`, Code.NotFound);
    return reply(s);
  }) as never);
  router.rpc(watch as never, (async function* (req: { service: string }, ctx: HandlerContext) {
    let last: ServingStatus | undefined;
    while (!ctx.signal.aborted) {
      const s = source.status(req.service) ?? ServingStatus.SERVICE_UNKNOWN;
      if (s !== last) {
        last = s;
        yield reply(s);
      }
      // One abort listener at a time: the timer removes its own when it fires (a listener added on
      // each round would pile up on the call's signal for as long as the watch runs).
      try {
        await sleep(watchIntervalMs, undefined, { signal: ctx.signal });
      } catch {
        return; // cancelled: the client went away or the deadline passed
      }
    }
  }) as never);
}
