/**
 * Small readers the vSphere mappers share (mapper.ts for the inventory, vm-mapper.ts for VMs).
 */
import type { Keep, VimValue } from './codec.js';
import { arr, path, ref } from './codec.js';

export const MIB = 1024 * 1024;

/** Sorted, de-duplicated moref values of a list (of morefs, or of objects holding one at `key`). */
export function sortedIds(v: VimValue | undefined, key?: string): string[] {
  const ids = new Set<string>();
  for (const item of arr(v)) {
    const r = key ? ref(path(item, key)) : ref(item);
    if (r) ids.add(r.value);
  }
  return [...ids].sort();
}

/** The first item of a list, or the value itself. */
export function one(v: VimValue | undefined): VimValue | undefined {
  return Array.isArray(v) ? v[0] : v;
}

export function mul(v: number | null, factor: number): number | null {
  return v === null ? null : v * factor;
}

/** A member filter: the listed members, `nested` ones filtered in turn. */
export function keep(
  members: readonly string[],
  nested: Readonly<Record<string, Keep>> = {},
): Keep {
  return new Map(members.map((m) => [m, nested[m] ?? null]));
}
