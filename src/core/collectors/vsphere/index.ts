/** Public surface of the vSphere collector for the sync engine, the doctor and tests. */
export { createVsphereCollector } from './collector.js';
export type { VsphereCollectorOptions } from './collector.js';
export { VimClient, login, retrieveServiceContent, parseServiceContent } from './client.js';
export type { AboutInfo, CallOptions, ServiceContent, VimClientOptions } from './client.js';
export type { MoRef } from './codec.js';
