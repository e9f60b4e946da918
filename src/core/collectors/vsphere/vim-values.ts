/**
 * The values the vim25 decoder produces (plain JS: strings, numbers, booleans, managed object
 * references, data objects, arrays) and the accessors its readers use to take them apart safely.
 */

export interface MoRef {
  readonly type: string;
  readonly value: string;
}

export type VimValue = string | number | boolean | MoRef | VimObject | VimValue[];
export interface VimObject {
  _type?: string;
  [key: string]: VimValue | undefined;
}

export function isMoRef(v: unknown): v is MoRef {
  return (
    typeof v === 'object' &&
    v !== null &&
    !Array.isArray(v) &&
    typeof (v as MoRef).type === 'string' &&
    typeof (v as MoRef).value === 'string' &&
    Object.keys(v).length === 2
  );
}

/** The value as a data object (not an array, not a moref), or undefined. */
export function obj(v: VimValue | undefined): VimObject | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !isMoRef(v)
    ? (v as VimObject)
    : undefined;
}

/** Any decoded value as an array: ArrayOf values are arrays already, single members are wrapped. */
export function arr(v: VimValue | undefined): VimValue[] {
  if (v === undefined || v === '') return [];
  return Array.isArray(v) ? v : [v];
}

export function str(v: VimValue | undefined): string | null {
  if (v === undefined) return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return null;
}

export function num(v: VimValue | undefined): number | null {
  if (v === undefined || v === '') return null;
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'string') {
    const n = Number(v);
    return Number.isFinite(n) ? n : null;
  }
  return null;
}

export function bool(v: VimValue | undefined): boolean | null {
  if (v === undefined || v === '') return null;
  if (typeof v === 'boolean') return v;
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  return null;
}

export function ref(v: VimValue | undefined): MoRef | null {
  return isMoRef(v) ? v : null;
}

/** Split dotted paths: the mapper asks for the same few dozen paths for every object. */
const SPLIT_PATHS = new Map<string, readonly string[]>();

/** Walks a dotted path through nested data objects. */
export function path(v: VimValue | undefined, dotted: string): VimValue | undefined {
  let parts = SPLIT_PATHS.get(dotted);
  if (parts === undefined) {
    parts = dotted.split('.');
    if (SPLIT_PATHS.size < 1000) SPLIT_PATHS.set(dotted, parts);
  }
  let cur: VimValue | undefined = v;
  for (const part of parts) {
    const o = obj(cur);
    if (!o) return undefined;
    cur = o[part];
  }
  return cur;
}
