import { openStore } from '../src/core/store/sqlite.js';
import { RUN_CLUSTER_ENV, findPostgresBin, startPostgres } from './helpers/postgres.js';
import type { ClusterAddress } from './helpers/postgres.js';
import { ensureVcsimBinary } from './vcsim/launch.js';

/**
 * Once, before any test file starts:
 * - build the vcsim test peer (on a clean clone it does not exist yet), so parallel test files do
 *   not each build it inside their own hook timeouts;
 * - start the run's PostgreSQL cluster with a migrated template database, which every test file
 *   shares (tests/helpers/postgres.ts sharedPostgres): a cluster and fifteen migrations per file
 *   cost 3-6 s each on this machine, for some sixty files. Without PostgreSQL's binaries the
 *   files that need it start their own and say what to install.
 */
export default async function setup(): Promise<(() => Promise<void>) | undefined> {
  ensureVcsimBinary();
  if (process.env[RUN_CLUSTER_ENV]) return undefined;
  try {
    findPostgresBin();
  } catch {
    return undefined;
  }
  // Two files at a time, each with pools, lock sessions and CLI processes of its own.
  const cluster = await startPostgres({ settings: { max_connections: '400' } });
  try {
    const store = await openStore({ file: await cluster.createDatabase('tpl_run') });
    await store.close();
  } catch (e) {
    await cluster.stop();
    throw e;
  }
  const address: ClusterAddress = {
    host: cluster.host,
    port: cluster.port,
    user: cluster.user,
    password: cluster.password,
    socketDir: cluster.socketDir,
    template: 'tpl_run',
  };
  process.env[RUN_CLUSTER_ENV] = JSON.stringify(address);
  return async () => {
    delete process.env[RUN_CLUSTER_ENV];
    await cluster.stop();
  };
}
