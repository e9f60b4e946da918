import type {
  Channel,
  DesktopReply,
  EventMap,
  EventName,
  InfrascopeApi,
  Reply,
  RequestInput,
  RequestOutput,
} from './contract.js';
import { deserializeError } from './errors.js';

/** Turns a reply back into its result or a thrown typed `AppError`. */
export function unwrapResult<T>(reply: DesktopReply<T>): T {
  if (reply.ok) return reply.result;
  throw deserializeError(reply.error);
}

/** Turns a `Reply` back into a result or a thrown typed `AppError`: the same on every transport. */
export function unwrapReply<C extends Channel>(reply: Reply<C>): RequestOutput<C> {
  return unwrapResult<RequestOutput<C>>(reply);
}

export type { Channel, EventMap, EventName, InfrascopeApi, RequestInput, RequestOutput };
