/** Public surface of the Hyper-V collector for the sync engine, the doctor and tests. */
export { createHyperVCollector, HyperVCollector, nodesToRead, parseDocument } from './collector.js';
export type { HyperVCollectorOptions } from './collector.js';
export { probeHyperV } from './probe.js';
export type { HyperVProbeOptions, HyperVProbeResult, HyperVProbeTarget } from './probe.js';
export { classifyPowerShellError } from './errors.js';
export { resourcesDir, scriptPath } from './resources.js';
export { PowerShellSession } from './session.js';
