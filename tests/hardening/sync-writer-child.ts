// Child process for the crash test: writes large syncs in a loop and reports each commit.
import { writeFullInventory } from '../../src/core/inventory/writer.js';
import { openStore } from '../../src/core/store/sqlite.js';
import { addEndpoint, sampleInventory } from '../helpers/store.js';

const file = process.argv[2]!;
const vmCount = Number(process.argv[3] ?? 4000);
const store = await openStore({ file });
const existing = await store.db.selectFrom('endpoint').select('id').executeTakeFirst();
const ep = existing?.id ?? (await addEndpoint(store.db));
const base = sampleInventory(vmCount);
for (let gen = 1; ; gen++) {
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
