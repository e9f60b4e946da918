// Child process for the crash and concurrency tests: writes large syncs in a loop and reports
// each commit. Args: FILE [VMS=3000] [ENDPOINT=vc1] [COMMITS=forever]. With SYNC_WRITER_RUN=1 it
// records a running sync run first, owned by this process, as a real sync does.
import { writeFullInventory } from '../../src/core/inventory/writer.js';
import { openStore } from '../../src/core/store/sqlite.js';
import { startRun } from '../../src/core/sync/runs.js';
import { addEndpoint, sampleInventory } from '../helpers/store.js';

const file = process.argv[2]!;
const vmCount = Number(process.argv[3] ?? 3000);
const name = process.argv[4] ?? 'vc1';
const commits = Number(process.argv[5] ?? Infinity);
const store = await openStore({ file });
const existing = await store.db
  .selectFrom('endpoint')
  .select('id')
  .where('name', '=', name)
  .executeTakeFirst();
const ep = existing?.id ?? (await addEndpoint(store.db, name));
if (process.env['SYNC_WRITER_RUN'] === '1') {
  process.stdout.write(`run ${await startRun(store.db, ep, 'full', new Date())}\n`);
}
const base = sampleInventory(vmCount);
for (let gen = 1; gen <= commits; gen++) {
  const entities = base.map((e) =>
    e.type === 'vm' ? { ...e, fields: { ...e.fields, annotation: `gen-${gen}` } } : e,
  );
  await writeFullInventory(
    store.db,
    { entities },
    { endpointId: ep, syncRunId: null, now: new Date() },
  );
  process.stdout.write(`committed ${gen}\n`);
}
await store.close();
