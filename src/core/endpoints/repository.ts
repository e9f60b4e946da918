import type { Kysely, Transaction } from 'kysely';
import type { Database, EndpointRow, EndpointUpdate, NewEndpointRow } from '../store/schema.js';

type Db = Kysely<Database> | Transaction<Database>;

/*
 * The endpoint table. Functions take the db (or the transaction that also writes the audit row)
 * first; the service maps rows to DTOs.
 */

export async function findEndpointById(db: Db, id: number): Promise<EndpointRow | undefined> {
  return db.selectFrom('endpoint').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Names are unique regardless of case ("VC01" and "vc01" would confuse every operator). */
export async function findEndpointByNameCi(db: Db, name: string): Promise<EndpointRow | undefined> {
  return db
    .selectFrom('endpoint')
    .selectAll()
    .where((eb) => eb(eb.fn('lower', ['name']), '=', name.toLowerCase()))
    .executeTakeFirst();
}

export async function listEndpointRows(db: Db): Promise<EndpointRow[]> {
  return db.selectFrom('endpoint').selectAll().orderBy('name').execute();
}

export async function insertEndpoint(db: Db, row: NewEndpointRow): Promise<number> {
  const inserted = await db
    .insertInto('endpoint')
    .values(row)
    .returning('id')
    .executeTakeFirstOrThrow();
  return inserted.id;
}

export async function updateEndpoint(db: Db, id: number, set: EndpointUpdate): Promise<void> {
  await db.updateTable('endpoint').set(set).where('id', '=', id).execute();
}

/** Deletes the endpoint; foreign keys cascade to its credential, inventory, history and runs. */
export async function deleteEndpoint(db: Db, id: number): Promise<void> {
  await db.deleteFrom('endpoint').where('id', '=', id).execute();
}
