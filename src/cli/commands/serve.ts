import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { isLoopback, parseListen } from '../../core/serve/listen.js';
import { selfSignedInDataDir } from '../../core/serve/self-signed.js';
import type { OidcOptions } from '../../core/serve/oidc.js';
import { startServe } from '../../core/serve/server.js';
import { backupPolicy } from '../../core/store/backup-schedule.js';
import { AppError, isAppError } from '../../shared/errors.js';
import type { CliContext } from '../context.js';

export const SERVE_HELP = `Usage: infrascope serve [--port N] [--no-sync]
       infrascope serve --listen ADDR:PORT (--tls-cert FILE --tls-key FILE | --tls-self-signed)
                        [--server-name NAME]... [--no-sync]
       infrascope serve --accounts [--port N]
       ... --oidc-issuer URL --oidc-client-id ID [--oidc-client-secret-file FILE]
           [--oidc-groups-claim groups] [--oidc-admin-group G]... [--oidc-operator-group G]...
           [--oidc-viewer-group G]...

Serves the Infrascope UI on http://127.0.0.1 for a browser (port 0, the default, picks a free
port) and prints the URL to open; it carries a random token that guards this run. The scheduler
keeps inventory current unless --no-sync is given. Stop with Ctrl-C.

A team server: --listen with TLS. People sign in with accounts (infrascope user add) and do
what their role allows; scripts use API tokens (infrascope token create). --tls-self-signed
makes a certificate once (serve-cert.pem, serve-key.pem in the data directory) and prints its
SHA-256 fingerprint for clients to pin. Listening beyond this machine without TLS is refused.
--server-name adds a DNS name clients use (the Host and Origin they send are checked).
--accounts turns sign-in on for a loopback serve without TLS (trying it out).

--oidc-issuer adds sign-in through the team's identity provider (OpenID Connect, authorization
code with PKCE): register https://SERVER/auth/oidc/callback as the client's redirect URI. A
person gets the highest role one of their groups (the ID token's groups claim) is given by the
--oidc-*-group options, and is refused without one; they appear as oidc:NAME.`;

/** The built renderer sits beside the built CLI: out/cli/index.js → out/renderer/. */
export function rendererDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  return process.env['INFRASCOPE_RENDERER_DIR'] ?? join(here, '..', 'renderer');
}

export async function run(ctx: CliContext, argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string', short: 'p' },
      'no-sync': { type: 'boolean' },
      listen: { type: 'string' },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      'tls-self-signed': { type: 'boolean' },
      'server-name': { type: 'string', multiple: true },
      accounts: { type: 'boolean' },
      'oidc-issuer': { type: 'string' },
      'oidc-client-id': { type: 'string' },
      'oidc-client-secret-file': { type: 'string' },
      'oidc-groups-claim': { type: 'string' },
      'oidc-admin-group': { type: 'string', multiple: true },
      'oidc-operator-group': { type: 'string', multiple: true },
      'oidc-viewer-group': { type: 'string', multiple: true },
    },
  });
  const oidc = readOidc(values);
  if (values.listen !== undefined && values.port !== undefined) {
    throw new AppError('VALIDATION', 'Give --listen ADDR:PORT or --port N, not both');
  }
  const listen = values.listen
    ? parseListen(values.listen)
    : { host: '127.0.0.1', port: values.port === undefined ? 0 : Number(values.port) };
  const port = listen.port;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new AppError('VALIDATION', `--port takes 0-65535, not "${values.port}"`);
  }
  const names = values['server-name'] ?? [];
  const tls = readTls(ctx, values, [
    ...names,
    ...(isLoopback(listen.host) ? ['localhost', '127.0.0.1'] : [listen.host]),
  ]);
  let handle;
  try {
    handle = await startServe({
      core: ctx.core,
      rendererDir: rendererDir(),
      port,
      host: listen.host,
      serverNames: names,
      ...(tls ? { tls } : {}),
      ...(values.accounts ? { accounts: true } : {}),
      ...(oidc ? { oidc } : {}),
    });
  } catch (e) {
    if (isAppError(e)) throw e;
    throw new AppError('VALIDATION', (e as Error).message);
  }
  if (!values['no-sync']) await ctx.core.start();
  ctx.out.write(`Infrascope is serving on ${handle.url}\n`);
  const backups = backupPolicy(ctx.core.store);
  // A team store: say whose backups they are, rather than let anyone expect the app's.
  if (backups.by === 'server') ctx.out.write(`${backups.note}\n`);
  if (handle.accounts) {
    ctx.out.write('Sign in with an account (infrascope user add NAME --role admin)\n');
  }
  await new Promise<void>((res) => {
    if (ctx.signal.aborted) res();
    ctx.signal.addEventListener('abort', () => res(), { once: true });
  });
  await handle.close();
  return 0;
}

/** The certificate and key to serve with: given files, or the data directory's self-signed one. */
function readTls(
  ctx: CliContext,
  values: { 'tls-cert'?: string; 'tls-key'?: string; 'tls-self-signed'?: boolean },
  names: readonly string[],
): { cert: string; key: string } | undefined {
  const cert = values['tls-cert'];
  const key = values['tls-key'];
  if (values['tls-self-signed']) {
    if (cert || key) {
      throw new AppError('VALIDATION', 'Give --tls-cert/--tls-key or --tls-self-signed, not both');
    }
    const made = selfSignedInDataDir(ctx.core.dataDir, names.length > 0 ? names : ['localhost']);
    ctx.out.write(
      `${made.created ? 'Made a' : 'Using the'} self-signed certificate; SHA-256 fingerprint ${made.fingerprint256}\n`,
    );
    return { cert: made.cert, key: made.key };
  }
  if (!cert !== !key) throw new AppError('VALIDATION', 'Give both --tls-cert and --tls-key');
  if (!cert || !key) return undefined;
  try {
    return { cert: readFileSync(cert, 'utf8'), key: readFileSync(key, 'utf8') };
  } catch (e) {
    throw new AppError('VALIDATION', `Cannot read the certificate or key: ${(e as Error).message}`);
  }
}

/** The identity provider's settings, or undefined without --oidc-issuer. */
function readOidc(values: {
  'oidc-issuer'?: string;
  'oidc-client-id'?: string;
  'oidc-client-secret-file'?: string;
  'oidc-groups-claim'?: string;
  'oidc-admin-group'?: string[];
  'oidc-operator-group'?: string[];
  'oidc-viewer-group'?: string[];
}): OidcOptions | undefined {
  const issuer = values['oidc-issuer'];
  if (issuer === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    throw new AppError('VALIDATION', `--oidc-issuer takes a URL, not "${issuer}"`);
  }
  // The provider's answers decide who is admin: only over TLS, or on this machine (tests).
  if (url.protocol !== 'https:' && !isLoopback(url.hostname)) {
    throw new AppError('VALIDATION', '--oidc-issuer must be an https:// URL');
  }
  const clientId = values['oidc-client-id'];
  if (!clientId) throw new AppError('VALIDATION', '--oidc-issuer needs --oidc-client-id');
  const roleGroups = {
    admin: values['oidc-admin-group'] ?? [],
    operator: values['oidc-operator-group'] ?? [],
    viewer: values['oidc-viewer-group'] ?? [],
  };
  if (Object.values(roleGroups).every((g) => g.length === 0)) {
    throw new AppError('VALIDATION', 'Map at least one group to a role (--oidc-viewer-group G…)');
  }
  const secretFile = values['oidc-client-secret-file'];
  return {
    issuer,
    clientId,
    roleGroups,
    ...(secretFile ? { clientSecret: readFileSync(secretFile, 'utf8').trim() } : {}),
    ...(values['oidc-groups-claim'] ? { groupsClaim: values['oidc-groups-claim'] } : {}),
  };
}
