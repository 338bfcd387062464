// Summarises a V8 .cpuprofile (node --cpu-prof): self time by function and by file, top N, as a share
// of the busy (non-idle) samples.
//   node bench/tools/cpuprofile-top.mjs FILE.cpuprofile [N]
import { readFileSync } from "node:fs";

const [file, nText] = process.argv.slice(2);
const n = Number(nText ?? 25);
const prof = JSON.parse(readFileSync(file, "utf8"));
const byId = new Map(prof.nodes.map((node) => [node.id, node]));
const self = new Map();
const dt = prof.timeDeltas;
for (let i = 0; i < prof.samples.length; i++) self.set(prof.samples[i], (self.get(prof.samples[i]) ?? 0) + (dt[i] ?? 0));
const idle = [...self].filter(([id]) => byId.get(id).callFrame.functionName === "(idle)").reduce((a, [, us]) => a + us, 0);
const total = [...self.values()].reduce((a, b) => a + b, 0) - idle;
const fnTime = new Map();
const fileTime = new Map();
for (const [id, us] of self) {
  const cf = byId.get(id).callFrame;
  if (cf.functionName === "(idle)") continue;
  const where = cf.url.replace(/^.*\/(node_modules|gateway|bench|gen)\//, "$1/") || "(native)";
  const fn = `${cf.functionName || "(anonymous)"} ${where}:${cf.lineNumber + 1}`;
  fnTime.set(fn, (fnTime.get(fn) ?? 0) + us);
  const f = cf.url ? where.replace(/:.*/, "") : cf.functionName;
  fileTime.set(f, (fileTime.get(f) ?? 0) + us);
}
const show = (title, m) => {
  console.log(`\n${title}`);
  for (const [k, v] of [...m].sort((a, b) => b[1] - a[1]).slice(0, n)) console.log(`${((v / total) * 100).toFixed(1).padStart(5)}%  ${k}`);
};
console.log(`busy ${(total / 1e6).toFixed(2)} s of ${((total + idle) / 1e6).toFixed(2)} s sampled`);
show("self time by function", fnTime);
show("self time by file", fileTime);
