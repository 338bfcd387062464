import { cpus, loadavg, totalmem } from "node:os";

/** What the report says about the machine at the start and end of a run. */
export interface MachineInfo {
  cpus: number;
  cpuModel: string;
  memGiB: number;
  /** 1, 5 and 15 minute load averages. */
  load: number[];
  node: string;
}

/** Reads the machine's size and current load. */
export function machineInfo(): MachineInfo {
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? "",
    memGiB: Math.round(totalmem() / 2 ** 30),
    load: loadavg().map((x) => Math.round(x * 100) / 100),
    node: process.version,
  };
}
