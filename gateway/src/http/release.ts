/**
 * Lets a finished call's objects die young. Node keeps each HTTP/2 stream reachable from its native
 * handle after the stream has closed, until a full garbage collection; everything the stream still
 * references (the listeners a relay added, the closures behind them, the buffers and headers those
 * hold) survives every young-generation collection meanwhile and is promoted. At 1,000 calls/s that
 * was ~2.7 MB per scavenge and 5–9 ms pauses in the gateway; dropping the listeners once a stream has
 * closed cut what survives to ~1.5 MB and the pauses to 4–6 ms.
 */
import type { Http2Stream } from "node:http2";

const noop = () => {};

function dropListeners(stream: Http2Stream): void {
  stream.removeAllListeners();
  // Nothing is emitted after 'close'; should an error still come, it must not crash the gateway.
  stream.on("error", noop);
}

/** The 'close' listener: one shared function, so releasing a stream allocates no closure of its own. */
function onClosed(this: Http2Stream): void {
  setImmediate(dropListeners, this);
}

/**
 * Removes every listener of `stream` once it has closed: in the turn after 'close', so that every
 * 'close' listener (Node's own, the compatibility layer's, the relays') has run first.
 */
export function releaseOnClose(stream: Http2Stream): void {
  stream.once("close", onClosed);
}
