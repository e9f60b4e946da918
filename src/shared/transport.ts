import type {
  Channel,
  EventMap,
  EventName,
  InfrascopeApi,
  Reply,
  RequestInput,
  RequestOutput,
} from './contract.js';
import { deserializeError } from './errors.js';

/** Turns a `Reply` back into a result or a thrown typed `AppError`: the same on every transport. */
export function unwrapReply<C extends Channel>(reply: Reply<C>): RequestOutput<C> {
  if (reply.ok) return reply.result;
  throw deserializeError(reply.error);
}

export type { Channel, EventMap, EventName, InfrascopeApi, RequestInput, RequestOutput };
