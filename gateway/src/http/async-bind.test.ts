/** compactBind: binds like Node's AsyncResource.bind, and lets what the bound function holds die young. */
import { AsyncLocalStorage, AsyncResource, executionAsyncId } from "node:async_hooks";
import v8 from "node:v8";
import vm from "node:vm";
import { describe, expect, it } from "vitest";
import { bindMakesAccessorsPerCall, compactBind, installCompactBind } from "./async-bind.js";

const nodeBind = AsyncResource.prototype.bind;

describe("compactBind", () => {
  it("runs the function in the resource's async context, with the caller's this and arguments", () => {
    const als = new AsyncLocalStorage<string>();
    const resource = als.run("where it was bound", () => new AsyncResource("test"));
    const receiver = { name: "receiver" };
    const bound = compactBind.call(resource, function (this: unknown, a: unknown, b: unknown) {
      return [als.getStore(), executionAsyncId(), this, a, b];
    });
    const out = als.run("where it is called", () => bound.call(receiver, 1, 2));
    expect(out).toEqual(["where it was bound", resource.asyncId(), receiver, 1, 2]);
  });

  it("binds this to thisArg when one is given", () => {
    const resource = new AsyncResource("test");
    const self = { n: 41 };
    const bound = compactBind.call(resource, function (this: { n: number }, k: unknown) {
      return [this.n + 1, k, executionAsyncId()];
    } as never, self);
    expect(bound.call({ n: 0 }, "k")).toEqual([42, "k", resource.asyncId()]);
  });

  it("has the properties Node's bind gives, and asyncResource still warns DEP0172 once", async () => {
    const resource = new AsyncResource("test");
    const fn = (_a: unknown, _b: unknown, _c: unknown) => 0;
    const ours = compactBind.call(resource, fn as never);
    const theirs = nodeBind.call(resource, fn);
    const shape = (f: object) =>
      Object.fromEntries(
        ["length", "asyncResource"].map((k) => {
          const d = Object.getOwnPropertyDescriptor(f, k)!;
          return [k, { configurable: d.configurable, enumerable: d.enumerable, accessor: d.get !== undefined }];
        }),
      );
    expect(shape(ours)).toEqual(shape(theirs));
    expect(ours.length).toBe(3);
    expect(ours.name).toBe(theirs.name);
    expect(compactBind.call(resource, fn as never, {}).name).toBe((Reflect.apply(nodeBind, resource, [fn, {}]) as Function).name);
    expect(Object.keys(ours)).toEqual(Object.keys(theirs));

    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on("warning", onWarning);
    try {
      const holder = ours as unknown as { asyncResource: AsyncResource };
      expect(holder.asyncResource).toBe(resource);
      const other = new AsyncResource("other");
      holder.asyncResource = other;
      expect(holder.asyncResource).toBe(other);
      await new Promise((ok) => setImmediate(ok));
    } finally {
      process.off("warning", onWarning);
    }
    expect(warnings.map((w) => (w as Error & { code?: string }).code)).toEqual(["DEP0172"]);
  });

  it("rejects a non-function with Node's own error", () => {
    const resource = new AsyncResource("test");
    expect(() => compactBind.call(resource, 42 as never)).toThrow(expect.objectContaining({ code: "ERR_INVALID_ARG_TYPE" }));
  });

  it("shares its accessors between bound functions, where Node 20's bind makes new ones for each", () => {
    expect(bindMakesAccessorsPerCall(compactBind as typeof nodeBind)).toBe(false);
    // The reason this module exists; on a Node whose bind no longer does this, installCompactBind is a no-op.
    if (process.versions.node.startsWith("20.")) expect(bindMakesAccessorsPerCall(nodeBind)).toBe(true);
  });

  it("lets what a bound function holds die in a young-generation collection", () => {
    v8.setFlagsFromString("--expose-gc");
    const gc = vm.runInNewContext("gc") as (options?: { type: "minor" | "major" }) => void;
    const oldSpace = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === "old_space")!.space_used_size;
    // Binds 200 functions that each hold a 16 KB array and are called once, as http2's request() does;
    // returns how much the old generation grew after two young-generation collections.
    const promoted = (bind: typeof nodeBind) => {
      const resource = new AsyncResource("test", { requireManualDestroy: true });
      gc();
      const before = oldSpace();
      for (let i = 0; i < 200; i++) {
        const payload = new Array<number>(2000).fill(i);
        bind.call(resource, () => payload.length)();
      }
      gc({ type: "minor" });
      gc({ type: "minor" });
      return oldSpace() - before;
    };
    // 200 × 16 KB = 3.2 MB: Node 20's bind promotes all of it, compactBind next to none.
    if (bindMakesAccessorsPerCall(nodeBind)) expect(promoted(nodeBind)).toBeGreaterThan(2_500_000);
    expect(promoted(compactBind as typeof nodeBind)).toBeLessThan(1_000_000);
  });
});

describe("installCompactBind", () => {
  it("leaves a bind that something else has already replaced", () => {
    const theirs = function (this: AsyncResource, fn: (...args: unknown[]) => unknown) {
      return nodeBind.call(this, fn);
    } as typeof nodeBind;
    AsyncResource.prototype.bind = theirs;
    try {
      expect(installCompactBind()).toBe(false);
      expect(AsyncResource.prototype.bind).toBe(theirs);
    } finally {
      AsyncResource.prototype.bind = nodeBind;
    }
  });

  it("replaces AsyncResource.prototype.bind once, where it is needed", () => {
    try {
      const needed = bindMakesAccessorsPerCall(nodeBind);
      expect(installCompactBind()).toBe(needed);
      expect(AsyncResource.prototype.bind === (compactBind as unknown)).toBe(needed);
      expect(installCompactBind()).toBe(false);
      // Node's static bind goes through the prototype's.
      const bound = AsyncResource.bind(() => executionAsyncId());
      expect(typeof bound()).toBe("number");
    } finally {
      AsyncResource.prototype.bind = nodeBind;
    }
  });
});
