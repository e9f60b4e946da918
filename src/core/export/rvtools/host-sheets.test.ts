import { describe, expect, it } from 'vitest';
import { ENTITY_FIELDS } from '../../../shared/entities.js';
import { EMPTY_SOURCE, workbookData } from '../rvtools.js';
import { HOST_SHEETS } from './host-sheets.js';

describe('host-side sheets', () => {
  it('bind only fields of the entity each sheet lists, so the RVTools import can read them', () => {
    const wb = workbookData(EMPTY_SOURCE, { appVersion: '' });
    let bound = 0;
    for (const s of HOST_SHEETS) {
      for (const c of s.columns(wb)) {
        if (!c.binding) continue;
        expect(s.entity, `${s.name} ${c.header}`).toBeDefined();
        expect(Object.keys(ENTITY_FIELDS[s.entity!]), `${s.name} ${c.header}`).toContain(
          c.binding.field,
        );
        bound++;
      }
    }
    expect(bound).toBeGreaterThan(100);
  });
});
