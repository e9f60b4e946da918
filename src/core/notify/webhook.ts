import type { AlertDto, AlertSeverity, WebhookFormat } from '../../shared/alerts.js';
import { AppError } from '../../shared/errors.js';

/*
 * Webhook delivery: one POST of JSON per alert, retried with exponential backoff on 5xx, 429,
 * timeouts and connection errors; a 4xx other than 429 is final (the receiver rejected the body).
 * The URL is the credential of Slack and Teams webhooks: it never appears in a result or a log.
 */

export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

export interface DeliveryOptions {
  readonly fetch?: FetchLike;
  /** Per attempt. */
  readonly timeoutMs?: number;
  readonly maxAttempts?: number;
  /** Backoff before retry n (1-based) is baseDelayMs × 2^(n-1). */
  readonly baseDelayMs?: number;
  readonly signal?: AbortSignal;
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly now?: () => number;
}

export interface DeliveryResult {
  readonly status: 'delivered' | 'failed';
  readonly attempts: number;
  readonly httpStatus: number | null;
  readonly error: string | null;
  readonly durationMs: number;
}

const SEVERITY_COLOR: Readonly<Record<AlertSeverity, string>> = {
  info: '2F6FEB',
  warning: 'D29922',
  critical: 'CF222E',
};

export interface WebhookMessage {
  readonly title: string;
  readonly text: string;
  readonly severity: AlertSeverity;
  readonly alert: AlertDto | null;
}

export function alertMessage(a: AlertDto): WebhookMessage {
  const where = a.endpoint ? ` on ${a.endpoint}` : '';
  const state = a.state === 'cleared' ? 'cleared' : a.count > 1 ? `×${a.count}` : 'new';
  return {
    title: `[${a.severity.toUpperCase()}] ${a.rule}${where}`,
    text: `${a.message} (${state}, alert #${a.id})`,
    severity: a.severity,
    alert: a,
  };
}

/** The request body for a format: plain JSON, Slack's `text`, or a Teams MessageCard. */
export function webhookBody(format: WebhookFormat, m: WebhookMessage): unknown {
  switch (format) {
    case 'slack':
      return { text: `*${m.title}*\n${m.text}` };
    case 'teams':
      return {
        '@type': 'MessageCard',
        '@context': 'https://schema.org/extensions',
        summary: m.title,
        themeColor: SEVERITY_COLOR[m.severity],
        title: m.title,
        text: m.text,
      };
    case 'json':
      return {
        source: 'infrascope',
        title: m.title,
        text: m.text,
        severity: m.severity,
        alert: m.alert,
      };
  }
}

export function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new AppError('CANCELLED', 'Cancelled'));
      return;
    }
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(t);
      reject(new AppError('CANCELLED', 'Cancelled'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Scheme, host and port only: what the UI may show of a webhook URL. */
export function urlHint(url: string): string {
  const u = new URL(url);
  return `${u.protocol}//${u.host}/…`;
}

function describe(e: unknown, url: string): string {
  const err = e as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  const text =
    err.name === 'TimeoutError'
      ? 'timed out'
      : err.cause?.code
        ? `${err.message ?? 'request failed'} (${err.cause.code})`
        : (err.message ?? String(e));
  // Never echo the URL (its path is the secret of Slack and Teams webhooks).
  return text.split(url).join('<webhook>').slice(0, 500);
}

/** POSTs one body with retries. Never throws for delivery failures; returns what happened. */
export async function deliver(
  url: string,
  body: unknown,
  opts: DeliveryOptions = {},
): Promise<DeliveryResult> {
  const doFetch = opts.fetch ?? ((u, init) => fetch(u, init));
  const maxAttempts = opts.maxAttempts ?? 4;
  const base = opts.baseDelayMs ?? 1000;
  const sleep = opts.sleep ?? defaultSleep;
  const clock = opts.now ?? ((): number => performance.now());
  const t0 = clock();
  const payload = JSON.stringify(body);
  let attempts = 0;
  let httpStatus: number | null = null;
  let error: string | null = null;
  while (attempts < maxAttempts) {
    if (opts.signal?.aborted) {
      error = 'cancelled';
      break;
    }
    if (attempts > 0) {
      try {
        await sleep(base * 2 ** (attempts - 1), opts.signal);
      } catch {
        error = 'cancelled';
        break;
      }
    }
    attempts++;
    const timeout = AbortSignal.timeout(opts.timeoutMs ?? 10_000);
    const signal = opts.signal ? AbortSignal.any([timeout, opts.signal]) : timeout;
    try {
      const res = await doFetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'Infrascope' },
        body: payload,
        signal,
        redirect: 'error',
      });
      httpStatus = res.status;
      // Drain the body so the connection is released.
      await res.arrayBuffer().catch(() => undefined);
      if (res.status >= 200 && res.status < 300) {
        return {
          status: 'delivered',
          attempts,
          httpStatus,
          error: null,
          durationMs: Math.round(clock() - t0),
        };
      }
      error = `HTTP ${res.status}`;
      if (res.status < 500 && res.status !== 429) break;
    } catch (e) {
      httpStatus = null;
      error = timeout.aborted ? `timed out after ${opts.timeoutMs ?? 10_000} ms` : describe(e, url);
      if (opts.signal?.aborted) break;
    }
  }
  return { status: 'failed', attempts, httpStatus, error, durationMs: Math.round(clock() - t0) };
}
