import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore } from '../store/sqlite.js';
import type { Store } from '../store/sqlite.js';
import { readBasicTextOptIn, recordBasicTextOptIn } from './settings.js';

let store: Store;
beforeEach(async () => {
  store = await openStore({ file: ':memory:' });
});
afterEach(async () => store.close());

describe('basic_text opt-in', () => {
  it('is off by default, and recording the choice is audited', async () => {
    expect(await readBasicTextOptIn(store.db)).toBe(false);
    await recordBasicTextOptIn(store.db, true, 'desktop', new Date('2026-11-24T08:00:00Z'));
    expect(await readBasicTextOptIn(store.db)).toBe(true);
    await recordBasicTextOptIn(store.db, false, 'desktop', new Date('2026-11-24T09:00:00Z'));
    expect(await readBasicTextOptIn(store.db)).toBe(false);
    const audit = await store.db
      .selectFrom('audit_log')
      .select(['actor', 'action'])
      .orderBy('id')
      .execute();
    expect(audit).toEqual([
      { actor: 'desktop', action: 'vault.allow-basic-text' },
      { actor: 'desktop', action: 'vault.deny-basic-text' },
    ]);
  });
});
