import { AppError, isAppError } from '../../shared/errors.js';

/**
 * Turns a socket error into the error an operator acts on. `what` names the step ("TCP connect to
 * vc01:443") so the message stands on its own in a report or a ticket.
 */
export function netError(e: unknown, host: string, port: number, what: string): AppError {
  if (isAppError(e)) return e;
  const code = (e as NodeJS.ErrnoException | undefined)?.code ?? '';
  const details = { host, port, cause: code || undefined };
  switch (code) {
    case 'ENOTFOUND':
    case 'EAI_NONAME':
    case 'EAI_NODATA':
      return new AppError(
        'DNS_FAILED',
        `The name ${host} does not resolve. Check the spelling, or the DNS server and search domain of this machine.`,
        details,
      );
    case 'EAI_AGAIN':
      return new AppError(
        'DNS_FAILED',
        `The DNS server did not answer for ${host} (temporary failure). Check this machine's DNS settings and try again.`,
        details,
      );
    case 'ECONNREFUSED':
      return new AppError(
        'CONNECTION_REFUSED',
        `${host} refused the connection on port ${port}: nothing listens there, or a firewall rejects it. ` +
          'Check the port and that the service runs.',
        details,
      );
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'EHOSTDOWN':
    case 'ENETDOWN':
      return new AppError(
        'HOST_UNREACHABLE',
        `${host} is unreachable from this machine (no route). Check the network, VPN or routing to it.`,
        details,
      );
    case 'ETIMEDOUT':
      return timeoutError(host, port, what, null);
    case 'ECONNRESET':
    case 'EPIPE':
      return new AppError(
        'CONNECTION_LOST',
        `${host}:${port} closed the connection during ${what}. A proxy or firewall may be cutting it.`,
        details,
      );
    case 'ABORT_ERR':
      return new AppError('CANCELLED', `${what} was cancelled.`, details);
    default:
      return new AppError(
        'PROTOCOL_ERROR',
        `${what} failed: ${e instanceof Error ? e.message : String(e)}`,
        details,
      );
  }
}

export function timeoutError(
  host: string,
  port: number,
  what: string,
  ms: number | null,
): AppError {
  return new AppError(
    'TIMEOUT',
    `${what} got no answer${ms === null ? '' : ` within ${ms} ms`}. A firewall may be dropping the traffic ` +
      `to ${host}:${port}, or the server is overloaded.`,
    { host, port, ...(ms === null ? {} : { timeoutMs: ms }) },
  );
}
