import type {
  CallerHost,
  Channel,
  EventMap,
  EventName,
  ParsedInput,
  Reply,
  RequestOutput,
} from '../../shared/contract.js';
import { CONTRACT, allowedOn, isChannel } from '../../shared/contract.js';
import type { z } from 'zod';
import { serializeError } from '../../shared/errors.js';
import type { SerializedError } from '../../shared/errors.js';
import type { Role } from '../../shared/roles.js';
import { roleAtLeast, roleFor } from '../../shared/roles.js';
import type { Logger } from '../logger.js';

const HOST_NAMES: Readonly<Record<CallerHost, string>> = {
  desktop: 'desktop window',
  serve: 'serve page',
  cli: 'command line',
};

/** Who is asking. */
export interface RequestContext {
  /** Recorded in the audit log. Never a secret. */
  readonly actor: string;
  /** Where the call comes from: the channel's `hosts` in the contract must name it. */
  readonly host: CallerHost;
  /**
   * The caller's role on a team server (a signed-in account or an API token). Absent for the one
   * person at the machine (desktop IPC, the CLI, serve on loopback with its per-run token), who
   * is admin.
   */
  readonly role?: Role;
}

export type Handler<C extends Channel> = (
  input: ParsedInput<C>,
  ctx: RequestContext,
) => Promise<RequestOutput<C>>;

export type Handlers = { [C in Channel]: Handler<C> };

/** A capability registers the handlers for its slice of the contract; the core merges them. */
export type HandlerSlice<C extends Channel> = { [K in C]: Handler<K> };

/**
 * Where an event happened: in this process, or in another process on the same team store, heard
 * through it (PostgreSQL's LISTEN/NOTIFY, see store/pg-events.ts). Hosts forward both to their
 * pages; the core's own reactions (alert evaluation, snapshots after a sync) belong to the
 * process that did the work and act on local events only.
 */
export type EventSource = 'local' | 'store';

export type Emit = <E extends EventName>(
  event: E,
  payload: EventMap[E],
  source?: EventSource,
) => void;

export type EventListener = <E extends EventName>(
  event: E,
  payload: EventMap[E],
  source: EventSource,
) => void;

/** A tiny typed event hub: the core emits, every host forwards to its clients. */
export interface EventHub {
  emit: Emit;
  subscribe(listener: EventListener): () => void;
  /** Listens to one event, with its payload typed; returns the unsubscribe. */
  on<E extends EventName>(event: E, listener: (payload: EventMap[E]) => void): () => void;
}

export function createEventHub(log: Logger): EventHub {
  const listeners = new Set<EventListener>();
  return {
    emit(event, payload, source = 'local') {
      for (const l of listeners) {
        try {
          l(event, payload, source);
        } catch (e) {
          log.warn({ err: serializeError(e), event }, 'event listener failed');
        }
      }
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    on(event, listener) {
      const one = <F extends EventName>(name: F, payload: EventMap[F]): void => {
        // The names are equal, so the payload is the one of `event`.
        if ((name as EventName) === event) listener(payload as unknown as EventMap[typeof event]);
      };
      listeners.add(one);
      return () => listeners.delete(one);
    },
  };
}

/**
 * Why the caller's role may not use `channel` (the contract's `CHANNEL_ROLES`), or null when it
 * may. A caller with no role is the one person at the machine, who is admin. Serve's HTTP routes
 * (export download, snapshot upload) ask it for the channel they stand for.
 */
export function roleRefusal(channel: Channel, ctx: RequestContext): SerializedError | null {
  const role = ctx.role ?? 'admin';
  const needs = roleFor(channel);
  if (roleAtLeast(role, needs)) return null;
  return {
    code: 'FORBIDDEN',
    message: `${channel} needs the ${needs} role; ${ctx.actor} is ${role}`,
    details: { channel, role, needs },
  };
}

/** Why the caller may not use `channel` (its host, then its role), or null when it may. */
export function refusal(channel: Channel, ctx: RequestContext): SerializedError | null {
  if (!allowedOn(channel, ctx.host)) {
    return {
      code: 'FORBIDDEN',
      message: `${channel} is not available to the ${HOST_NAMES[ctx.host]}`,
      details: { channel, host: ctx.host, hosts: CONTRACT[channel].hosts },
    };
  }
  return roleRefusal(channel, ctx);
}

/**
 * The one entry point of every transport (desktop IPC, the serve WebSocket, the CLI's in-process
 * calls): checks the channel, that the caller's host may use it (the contract's `hosts`) and
 * that the caller's role reaches the one the contract declares for it (`CHANNEL_ROLES`),
 * validates the input against the contract's schema, runs the handler and answers
 * `{ ok, result } | { ok: false, error }`. A refused or bad request never reaches a handler, so
 * it changes nothing.
 */
export async function dispatch(
  handlers: Handlers,
  channel: unknown,
  input: unknown,
  ctx: RequestContext,
  log: Logger,
): Promise<Reply<Channel>> {
  if (!isChannel(channel)) {
    return {
      ok: false,
      error: {
        code: 'UNKNOWN_CHANNEL',
        message: `Unknown request ${String(channel).slice(0, 64)}`,
      },
    };
  }
  const refused = refusal(channel, ctx);
  if (refused) {
    log.warn({ channel, host: ctx.host, role: ctx.role, actor: ctx.actor }, 'refused a request');
    return { ok: false, error: refused };
  }
  const schema: z.ZodType = CONTRACT[channel].input;
  const parsed = schema.safeParse(input ?? {});
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`);
    return {
      ok: false,
      error: {
        code: 'VALIDATION',
        message: `Invalid ${channel} request: ${issues.join('; ')}`,
        details: { issues },
      },
    };
  }
  try {
    const handler = handlers[channel] as Handler<Channel>;
    const result = await handler(parsed.data as never, ctx);
    return { ok: true, result } as Reply<Channel>;
  } catch (e) {
    const error = serializeError(e);
    if (error.code === 'INTERNAL')
      log.error(
        { err: e instanceof Error ? { message: e.message, stack: e.stack } : String(e), channel },
        'request failed',
      );
    return { ok: false, error };
  }
}
