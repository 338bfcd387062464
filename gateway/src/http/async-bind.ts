/**
 * A compact `AsyncResource.prototype.bind`, so that each upstream HTTP/2 call's objects die young.
 *
 * Node's `ClientHttp2Session.request()` binds every request to a fresh `AsyncResource`. On Node 20 that
 * `bind` gives the bound function a deprecated `asyncResource` accessor whose getter and setter are new
 * `util.deprecate()` wrappers each time, and `deprecate()` sets each wrapper's prototype to the function it
 * wraps. So every call makes new hidden classes and prototype links, which V8 keeps in old space and which
 * a young-generation collection treats as live; they keep the bound function, and through it the whole
 * `ClientHttp2Stream` (headers, buffers, listeners), until the next full collection. In the gateway at
 * 1,000 relayed calls/s that was ~1.5 MB promoted per scavenge and a mark-compact every 1–3 s with pauses
 * of 7–27 ms, which set the tail latency.
 *
 * {@link compactBind} does the same binding (the function runs in the resource's async context, with the
 * same `this`, arguments, result, `name` and `length`) and keeps `asyncResource` with its deprecation
 * warning, but through one shared getter and setter that keep the resource in a non-enumerable symbol
 * property of the bound function, so every bound function has the same hidden class and nothing outlives
 * the call.
 */
import { AsyncResource } from "node:async_hooks";

const resourceSlot = Symbol("asyncResource");
const original = AsyncResource.prototype.bind;
const DEP0172 = "The asyncResource property on bound functions is deprecated";
let warned = false;

type Fn = (this: unknown, ...args: unknown[]) => unknown;
type Bound = Fn & { [resourceSlot]: AsyncResource };

function warnOnce(): void {
  if (warned) return;
  warned = true;
  process.emitWarning(DEP0172, "DeprecationWarning", "DEP0172");
}

function getResource(this: Bound): AsyncResource {
  warnOnce();
  return this[resourceSlot];
}

function setResource(this: Bound, value: AsyncResource): void {
  warnOnce();
  this[resourceSlot] = value;
}

/**
 * `AsyncResource.prototype.bind` without per-call hidden classes: `fn` runs inside `this` resource's
 * async context (`runInAsyncScope`), called with the bound function's `this` or with `thisArg` if given.
 */
export function compactBind(this: AsyncResource, fn: Fn, thisArg?: unknown): Fn {
  // A non-function gets Node's own ERR_INVALID_ARG_TYPE.
  if (typeof fn !== "function") return Reflect.apply(original, this, [fn, thisArg]) as Fn;
  const resource = this;
  let bound: Fn;
  if (thisArg === undefined) {
    // Named "bound", as Node's.
    bound = function (this: unknown, ...args: unknown[]) {
      return Reflect.apply(resource.runInAsyncScope, resource, [fn, this, ...args]);
    };
  } else {
    bound = Reflect.apply(Function.prototype.bind, resource.runInAsyncScope, [resource, fn, thisArg]) as Fn;
  }
  // Descriptors without a prototype, as Node's: a polluted Object.prototype must not change them.
  Object.defineProperties(bound, {
    length: { __proto__: null, configurable: true, enumerable: false, value: fn.length, writable: false },
    asyncResource: { __proto__: null, configurable: true, enumerable: true, get: getResource, set: setResource },
    [resourceSlot]: { __proto__: null, configurable: true, enumerable: false, writable: true, value: resource },
  } as PropertyDescriptorMap);
  return bound;
}

/**
 * True when this Node's `bind` makes new accessor functions for every bound function (Node 20 does);
 * runtimes that share them, or that dropped the deprecated property, are left alone.
 */
export function bindMakesAccessorsPerCall(bind: typeof original = original): boolean {
  const resource = new AsyncResource("agentos.probe", { requireManualDestroy: true });
  const get = (f: unknown) => Object.getOwnPropertyDescriptor(f, "asyncResource")?.get;
  const a = get(bind.call(resource, () => {}));
  const b = get(bind.call(resource, () => {}));
  return a !== undefined && a !== b;
}

/**
 * Installs {@link compactBind} as `AsyncResource.prototype.bind` for this process, where the runtime's
 * own `bind` makes accessors per call. Only Node's own `bind` is replaced: one already wrapped by
 * something else (a tracing agent loaded with `--import`, say) is left alone. The gateway's entry point
 * calls it once at start-up; it returns whether it replaced `bind`.
 */
export function installCompactBind(): boolean {
  const current = AsyncResource.prototype.bind;
  if (current !== original || !bindMakesAccessorsPerCall(current)) return false;
  AsyncResource.prototype.bind = compactBind as typeof original;
  return true;
}
