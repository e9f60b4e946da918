import type { Kysely } from 'kysely';
import type { HandlerSlice } from '../contract/handlers.js';
import type { Database } from '../store/schema.js';
import { fieldsOf, listTags, queryInventory } from './query.js';

export function createInventoryCapability(
  db: Kysely<Database>,
): HandlerSlice<'inventory:query' | 'inventory:fields' | 'inventory:tags'> {
  return {
    'inventory:query': (input) => queryInventory(db, input),
    'inventory:fields': (input) => Promise.resolve(fieldsOf(input.kind)),
    'inventory:tags': () => listTags(db),
  };
}
