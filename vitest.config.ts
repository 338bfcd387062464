import { defineConfig } from "vitest/config";

// One vitest run covers every TypeScript suite (gateway, web, bench). Tests that start real processes
// pick free ports, so files may run in parallel; the machine has 2 cores, so keep the pool small.
export default defineConfig({
  test: {
    include: ["gateway/**/*.test.ts", "web/**/*.test.ts", "bench/**/*.test.ts", "scripts/**/*.test.ts", "testing/**/*.test.ts"],
    exclude: ["**/node_modules/**", "build/**"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
  },
});
