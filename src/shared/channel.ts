import type { z } from 'zod';

/*
 * How a capability declares one request channel of the contract: its input schema (checked at
 * the boundary), its output type and the hosts whose callers may use it. Each capability's file in
 * `shared/` declares its slice with `request(...)`; `contract.ts` merges the slices.
 */

/**
 * Who calls: the desktop page (over IPC), the serve page (over the WebSocket and serve's HTTP
 * routes), or code inside the process itself (`cli`: the CLI's commands, main's own actions after
 * its dialogs, tests).
 */
export const CALLER_HOSTS = ['desktop', 'serve', 'cli'] as const;
export type CallerHost = (typeof CALLER_HOSTS)[number];

/** Carries a channel's output type; never holds a value. */
export interface Returns<O> {
  readonly __output?: O;
}

/** Names a channel's output type: `request(schema, returns<QueryResult>())`. */
export function returns<O>(): Returns<O> {
  return {};
}

export interface ChannelSpec<S extends z.ZodType = z.ZodType, O = unknown> {
  readonly input: S;
  readonly output: Returns<O>;
  /** The hosts whose callers may use the channel; every transport's dispatcher checks it. */
  readonly hosts: readonly CallerHost[];
}

/**
 * Declares a request channel.
 *
 * @example
 * export const exportChannels = {
 *   'export:cancel': request(exportCancelSchema, returns<{ cancelled: boolean }>()),
 *   // A path on this machine: only in-process callers may name one.
 *   'export:run': request(exportToPathSchema, returns<ExportResult>(), { hosts: ['cli'] }),
 * };
 */
export function request<S extends z.ZodType, O>(
  input: S,
  output: Returns<O>,
  opts: { readonly hosts?: readonly CallerHost[] } = {},
): ChannelSpec<S, O> {
  return { input, output, hosts: opts.hosts ?? CALLER_HOSTS };
}
