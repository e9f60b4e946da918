import type {
  Channel,
  EventMap,
  EventName,
  ParsedInput,
  Reply,
  RequestOutput,
} from '../../shared/contract.js';
import { isChannel, requestSchemas } from '../../shared/contract.js';
import { serializeError } from '../../shared/errors.js';
import type { Logger } from '../logger.js';

/** Who is asking: recorded in the audit log. Never a secret. */
export interface RequestContext {
  readonly actor: string;
}

export type Handler<C extends Channel> = (
  input: ParsedInput<C>,
  ctx: RequestContext,
) => Promise<RequestOutput<C>>;

export type Handlers = { [C in Channel]: Handler<C> };

/** A capability registers the handlers for its slice of the contract; the core merges them. */
export type HandlerSlice<C extends Channel> = { [K in C]: Handler<K> };

export type Emit = <E extends EventName>(event: E, payload: EventMap[E]) => void;

/** A tiny typed event hub: the core emits, every host forwards to its clients. */
export interface EventHub {
  emit: Emit;
  subscribe(listener: <E extends EventName>(event: E, payload: EventMap[E]) => void): () => void;
}

export function createEventHub(log: Logger): EventHub {
  const listeners = new Set<<E extends EventName>(event: E, payload: EventMap[E]) => void>();
  return {
    emit(event, payload) {
      for (const l of listeners) {
        try {
          l(event, payload);
        } catch (e) {
          log.warn({ err: serializeError(e), event }, 'event listener failed');
        }
      }
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

/**
 * The one entry point of every transport: checks the channel, validates the input against the
 * contract's schema, runs the handler and answers `{ ok, result } | { ok: false, error }`. Bad
 * input never reaches a handler, so it changes nothing.
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
  const schema = requestSchemas[channel];
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
