/** A free TCP port on 127.0.0.1 (testing/process.ts), for the processes the benchmark starts. */
export { freePort } from "../../testing/process.js";
