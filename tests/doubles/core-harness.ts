import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { CollectorFactory } from '../../src/core/collectors/collector.js';
import type { Core } from '../../src/core/core.js';
import { createCore } from '../../src/core/core.js';
import { createLogger } from '../../src/core/logger.js';
import { keyFileVault } from '../../src/core/vault/key-file-vault.js';
import type { StoreKey } from '../../src/core/vault/store-key.js';
import type { VaultBackend } from '../../src/core/vault/vault.js';
import type { EndpointKind } from '../../src/shared/endpoints.js';
import type {
  Channel,
  EventMap,
  EventName,
  RequestInput,
  RequestOutput,
  SyncProgressEvent,
} from '../../src/shared/contract.js';

export interface CoreHarness {
  readonly core: Core;
  readonly dir: string;
  /** Every event the core emitted, in order. */
  readonly events: { name: EventName; payload: unknown }[];
  /** Every log line (JSON) the core wrote, at debug level. */
  readonly logs: string[];
  call<C extends Channel>(
    channel: C,
    input: RequestInput<C>,
    actor?: string,
  ): Promise<RequestOutput<C>>;
  /** Resolves with the terminal progress event of each endpoint id. */
  finished(ids: readonly number[]): Promise<SyncProgressEvent[]>;
  close(): Promise<void>;
}

export async function makeCore(
  opts: {
    collectors?: Partial<Record<EndpointKind, CollectorFactory>>;
    vault?: (dir: string) => VaultBackend;
    now?: () => Date;
    dir?: string;
    memory?: boolean;
    /** Where the store lives (a postgres:// URL: tests/helpers/store.ts testStoreLocation). */
    store?: string | undefined;
    /** The team store key this host holds (a PostgreSQL store seals secrets with it). */
    storeKey?: StoreKey | null;
    /** The host the core runs for (default the CLI; `serve` listens on a team store at once). */
    host?: 'cli' | 'serve';
  } = {},
): Promise<CoreHarness> {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'infrascope-core-'));
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      logs.push(chunk.toString('utf8'));
      cb();
    },
  });
  const log = createLogger({ level: 'debug', destination: sink });
  const core = await createCore({
    dataDir: dir,
    host: opts.host ?? 'cli',
    vault: (opts.vault ?? keyFileVault)(dir),
    memory: opts.store === undefined ? (opts.memory ?? true) : false,
    ...(opts.store !== undefined ? { store: opts.store } : {}),
    // A team store's secrets need its key: suites on both engines get one unless they test that.
    storeKey:
      opts.storeKey === undefined ? { key: randomBytes(32), source: 'test key' } : opts.storeKey,
    log,
    collectors: opts.collectors ?? {},
    ...(opts.now ? { now: opts.now } : {}),
  });
  const events: { name: EventName; payload: unknown }[] = [];
  const waiters: (() => void)[] = [];
  core.events.subscribe(<E extends EventName>(name: E, payload: EventMap[E]) => {
    events.push({ name, payload });
    for (const w of waiters.splice(0)) w();
  });
  const terminal = (id: number): SyncProgressEvent | undefined =>
    events
      .map((e) => (e.name === 'sync:progress' ? (e.payload as SyncProgressEvent) : null))
      .find(
        (p): p is SyncProgressEvent => p !== null && p.endpointId === id && p.state !== 'running',
      );
  return {
    core,
    dir,
    events,
    logs,
    call(channel, input, actor = 'test:alice') {
      return core.invoke(channel, input, { actor, host: 'cli' });
    },
    async finished(ids) {
      for (;;) {
        const found = ids.map(terminal);
        if (found.every((f) => f !== undefined)) return found as SyncProgressEvent[];
        await new Promise<void>((resolve) => waiters.push(resolve));
      }
    },
    async close() {
      await core.dispose();
      if (!opts.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Adds a vCenter endpoint `name` (host `<name>.example.test`) through the contract; its id. */
export async function addVcenter(h: CoreHarness, name = 'vc1'): Promise<number> {
  const { id } = await h.call('endpoints:add', {
    name,
    kind: 'vcenter',
    host: `${name}.example.test`,
    username: 'admin',
    password: 'pw',
  });
  return id;
}
