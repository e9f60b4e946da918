import type { Kysely, Transaction } from 'kysely';
import { AppError, isAppError } from '../../shared/errors.js';
import type { Database } from '../store/schema.js';
import type { VaultBackend } from './vault.js';

type Db = Kysely<Database> | Transaction<Database>;

/** The associated data a secret is sealed with: it opens only as this endpoint's. */
export function credentialAad(endpointId: number): string {
  return `infrascope:endpoint:${endpointId}`;
}

/** Seals `secret` with `vault` and stores it for the endpoint, replacing any earlier one. */
export async function storeCredential(
  db: Db,
  vault: VaultBackend,
  endpointId: number,
  secret: string,
  now: Date,
): Promise<void> {
  // The team store's key: missing or another store's is said as such, before anything is written.
  await vault.prepare?.(db);
  if (!vault.canSeal()) {
    throw new AppError(
      'VAULT_UNAVAILABLE',
      `The vault (${vault.description}) cannot store passwords on this host right now.`,
      { backend: vault.id },
    );
  }
  const ciphertext = vault.seal(secret, credentialAad(endpointId));
  await db
    .insertInto('credential')
    .values({
      endpoint_id: endpointId,
      backend: vault.id,
      ciphertext,
      sealed_at: now.toISOString(),
    })
    .onConflict((oc) =>
      oc
        .column('endpoint_id')
        .doUpdateSet({ backend: vault.id, ciphertext, sealed_at: now.toISOString() }),
    )
    .execute();
  await db
    .updateTable('endpoint')
    .set({ credential_state: 'set' })
    .where('id', '=', endpointId)
    .execute();
}

/** Forgets the endpoint's secret (the user cleared the password). */
export async function clearCredential(db: Db, endpointId: number): Promise<void> {
  await db.deleteFrom('credential').where('endpoint_id', '=', endpointId).execute();
  await db
    .updateTable('endpoint')
    .set({ credential_state: 'none' })
    .where('id', '=', endpointId)
    .execute();
}

/** Failures of this host's vault or key rather than of the secret: the endpoint is not marked. */
const HOST_PROBLEMS: ReadonlySet<string> = new Set([
  'VAULT_UNAVAILABLE',
  'STORE_KEY_MISSING',
  'STORE_KEY_MISMATCH',
]);

function reenterHint(name: string): string {
  return (
    `Enter the password for "${name}" again: \`infrascope endpoint set "${name}" --password-env VAR\` ` +
    '(or --password-stdin), or edit the endpoint in the app.'
  );
}

/**
 * Opens the endpoint's secret. Returns null when none is stored. When the secret was sealed by
 * another backend or no longer opens, the endpoint is marked `reenter` (the ciphertext is kept,
 * never wiped: the other host may still open it) and a typed error says what to do.
 */
export async function openCredential(
  db: Kysely<Database>,
  vault: VaultBackend,
  endpoint: { readonly id: number; readonly name: string },
): Promise<string | null> {
  const row = await db
    .selectFrom('credential')
    .select(['backend', 'ciphertext'])
    .where('endpoint_id', '=', endpoint.id)
    .executeTakeFirst();
  if (!row) return null;
  const markReenter = (): Promise<unknown> =>
    db
      .updateTable('endpoint')
      .set({ credential_state: 'reenter' })
      .where('id', '=', endpoint.id)
      .execute();
  if (row.backend !== vault.id) {
    await markReenter();
    throw new AppError(
      'VAULT_UNAVAILABLE',
      `The password of "${endpoint.name}" was sealed by the ${row.backend} vault; this host uses ${vault.id} and cannot open it. ` +
        reenterHint(endpoint.name),
      { sealedBy: row.backend, hostVault: vault.id, endpoint: endpoint.name },
    );
  }
  // No team store key here (or another one) is this host's problem, not the secret's: the
  // endpoint is not marked, the typed error says what to do.
  await vault.prepare?.(db);
  const sealed = Buffer.from(row.ciphertext);
  let secret: string;
  try {
    secret = vault.open(sealed, credentialAad(endpoint.id));
  } catch (e) {
    // A key file with bad permissions is the host's problem, not the secret's: say so, keep state.
    if (isAppError(e) && HOST_PROBLEMS.has(e.code)) throw e;
    await markReenter();
    throw new AppError(
      'VAULT_LOCKED',
      `The stored password of "${endpoint.name}" no longer opens (${isAppError(e) ? e.message : 'decryption failed'}). ` +
        reenterHint(endpoint.name),
      { endpoint: endpoint.name, backend: row.backend },
    );
  }
  // Sealed before secrets were bound to their endpoint: bind it now, once.
  if (vault.unbound?.(sealed)) {
    await db
      .updateTable('credential')
      .set({ ciphertext: vault.seal(secret, credentialAad(endpoint.id)) })
      .where('endpoint_id', '=', endpoint.id)
      .execute();
  }
  return secret;
}
