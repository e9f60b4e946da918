import { hostname, networkInterfaces } from 'node:os';
import { isIP } from 'node:net';
import { AppError } from '../../shared/errors.js';

/** Whether `host` is a loopback address (only this machine can connect). */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** `ADDR:PORT` or `[v6]:PORT` → its parts; a typed VALIDATION error otherwise. */
export function parseListen(text: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text.trim());
  const host = m?.[1] ?? m?.[2];
  const port = Number(m?.[3]);
  if (!host || !Number.isInteger(port) || port > 65535 || (m?.[1] && isIP(host) !== 6)) {
    throw new AppError(
      'VALIDATION',
      `--listen takes ADDR:PORT (0.0.0.0:8443, [::]:8443), not ${text}`,
    );
  }
  return { host, port };
}

const bracket = (h: string): string => (isIP(h) === 6 ? `[${h}]` : h);

/**
 * The Host header values the server answers to (anything else is refused, against DNS
 * rebinding): the address it listens on, and when that is a wildcard, this machine's host name
 * and addresses, plus the names the operator gave.
 */
export function serverHosts(host: string, port: number, names: readonly string[] = []): string[] {
  const all = new Set<string>([host, ...names]);
  if (isLoopback(host)) ['127.0.0.1', 'localhost'].forEach((h) => all.add(h));
  if (host === '0.0.0.0' || host === '::') {
    all.add(hostname());
    all.add('localhost');
    for (const list of Object.values(networkInterfaces())) {
      for (const a of list ?? []) all.add(a.address);
    }
  }
  all.delete('0.0.0.0');
  all.delete('::');
  return [...all].map((h) => `${bracket(h)}:${port}`);
}
