import { ensureVcsimBinary } from './vcsim/launch.js';

/**
 * Once, before any test file starts: build the vcsim test peer (on a clean clone it does not
 * exist yet), so parallel test files do not each build it inside their own hook timeouts.
 */
export default function setup(): void {
  ensureVcsimBinary();
}
