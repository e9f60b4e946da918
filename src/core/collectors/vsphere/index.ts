/** Public surface of the vSphere collector for the sync engine, the doctor and tests. */
export { createVsphereCollector } from './collector.js';
export type { VsphereCollectorOptions } from './collector.js';
export { VimClient } from './client.js';
export { parseServiceContent } from './session.js';
export type { AboutInfo, CallOptions, ServiceContent, VimSessionOptions } from './session.js';
export type { MoRef } from './vim-values.js';
