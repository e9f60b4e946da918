/** Figures of one benchmarked step, for a child process to print as a JSON line. */
export interface Measured {
  readonly ms: number;
  readonly cpuMs: number;
  /** Peak RSS of the whole process so far, in MB. */
  readonly maxRssMb: number;
}

/** Runs `work` and measures wall time, CPU time and the process's peak RSS. */
export async function measure<T>(work: () => Promise<T>): Promise<Measured & { result: T }> {
  const t = performance.now();
  const cpu0 = process.cpuUsage();
  const result = await work();
  const ms = performance.now() - t;
  const cpu = process.cpuUsage(cpu0);
  return {
    result,
    ms,
    cpuMs: (cpu.user + cpu.system) / 1000,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
  };
}
