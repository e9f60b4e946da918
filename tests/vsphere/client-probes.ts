/**
 * One-shot checks over the collector's VimClient, for the session and TLS tests: each opens a
 * client, makes its call and disposes of it. (The connectivity doctor has its own, smaller SOAP
 * probe in src/core/doctor/vsphere-probe.ts.)
 */
import { VimClient } from '../../src/core/collectors/vsphere/client.js';
import type {
  AboutInfo,
  CallOptions,
  VimSessionOptions,
} from '../../src/core/collectors/vsphere/session.js';
import { str } from '../../src/core/collectors/vsphere/vim-values.js';
import { AppError } from '../../src/shared/errors.js';

/**
 * RetrieveServiceContent without logging in, on a client of its own. Throws NOT_VSPHERE
 * when the endpoint answers but is not vim25 (including an HTTP error on /sdk).
 */
export async function retrieveServiceContent(
  opts: Omit<VimSessionOptions, 'username' | 'password'> & CallOptions,
): Promise<{ about: AboutInfo }> {
  const client = new VimClient(opts);
  try {
    const sc = await client.retrieveServiceContent(opts);
    return { about: sc.about };
  } catch (e) {
    if (e instanceof AppError && (e.code === 'HTTP_ERROR' || e.code === 'PROTOCOL_ERROR')) {
      throw new AppError(
        'NOT_VSPHERE',
        `${opts.host} does not serve the vSphere API at ${client.url.pathname}.`,
        {
          ...(e.details ?? {}),
          cause: e.code,
        },
      );
    }
    throw e;
  } finally {
    await client.dispose();
  }
}

/** Connects, logs in, reads `about`, logs out. */
export async function login(
  opts: VimSessionOptions & CallOptions & { username: string; password: string },
): Promise<{ about: AboutInfo; userName: string | null; fullName: string | null }> {
  const client = new VimClient(opts);
  try {
    const sc = await client.retrieveServiceContent(opts);
    const session = await client.login(opts);
    return {
      about: sc.about,
      userName: str(session['userName']),
      fullName: str(session['fullName']),
    };
  } finally {
    await client.dispose();
  }
}
