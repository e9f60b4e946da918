import { useVirtualizer } from '@tanstack/react-virtual';
import type { Virtualizer, VirtualItem } from '@tanstack/react-virtual';
import { useCallback, useEffect, useRef, useState } from 'react';
import type { RefObject } from 'react';
import type {
  Filter,
  QueryFieldInfo,
  QueryKind,
  QueryRow,
  Scope,
  Sort,
} from '../../../shared/query.js';
import { pagesFor } from '../components/table-model.js';
import { useLive } from '../stores/live.js';
import { api } from '../transport.js';
import { errorText } from '../format.js';

const PAGE = 100;
/** Pages kept in memory around the view; the rest are dropped and refetched when scrolled back. */
const KEEP_PAGES = 24;
/** Most rows one copy or select-all fetches (the query's page limit). */
export const MAX_FETCH = 10_000;
const MAX_IN_FLIGHT = 2;
const MARGIN_DELAY_MS = 400;

interface Cache {
  readonly key: string;
  readonly pages: Map<number, readonly QueryRow[]>;
  readonly loading: Set<number>;
  /** Pages fetched since the last live update; the others are shown until refetched. */
  readonly fresh: Set<number>;
}

/** What the page cache is keyed by, and what each page request sends. */
interface KeyedQuery {
  readonly where: Filter[];
  readonly sort: Sort[];
  readonly search: string;
  readonly scope?: Scope;
}

export interface WindowedQueryInput {
  readonly kind: QueryKind;
  readonly where: readonly Filter[];
  readonly sort: readonly Sort[];
  readonly search: string;
  readonly scope: Scope | undefined;
  /** The scrolling element the rows are virtualized in. */
  readonly scrollRef: RefObject<HTMLDivElement | null>;
  readonly rowHeight: number;
  /** Called with the fields of the kind when a page brings them. */
  readonly onFields: (fields: readonly QueryFieldInfo[]) => void;
}

export interface WindowedQuery {
  /** Changes whenever the query (kind, filters, sort, search, scope) does. */
  readonly queryKey: string;
  /** Rows matching the query; null until the first page lands. */
  readonly total: number | null;
  /** Rows of the kind in the scope, unfiltered (for "1,234 of 11,000"). */
  readonly grandTotal: number | null;
  readonly error: string | null;
  /** Bumped when a page lands or fails, so readers of `rowAt` re-read. */
  readonly renderTick: number;
  /** Whether no page of the current query has landed yet. */
  readonly empty: boolean;
  readonly virtualizer: Virtualizer<HTMLDivElement, Element>;
  readonly items: readonly VirtualItem[];
  /** The row at `index` if its page is in memory (the previous query's until the new one lands). */
  readonly rowAt: (index: number) => QueryRow | undefined;
  /** Rows [start, end] from the cache, or fetched when some are not loaded. */
  readonly fetchRange: (start: number, end: number) => Promise<QueryRow[]>;
}

/**
 * Server-side windows of one inventory query: asks the core only for the pages in view (and,
 * once idle, a margin either side), keeps a bounded page cache, and refetches the pages in view
 * when inventory changes, keeping what is shown meanwhile.
 */
export function useWindowedQuery({
  kind,
  where,
  sort,
  search,
  scope,
  scrollRef,
  rowHeight,
  onFields,
}: WindowedQueryInput): WindowedQuery {
  const [total, setTotal] = useState<number | null>(null);
  const [grandTotal, setGrandTotal] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [renderTick, setRenderTick] = useState(0);
  const tick = useLive((s) => s.tick);
  const fieldsSink = useRef(onFields);
  fieldsSink.current = onFields;

  const queryKey = JSON.stringify({ kind, where, sort, search, scope });
  const cache = useRef<Cache>({ key: '', pages: new Map(), loading: new Set(), fresh: new Set() });
  // Rows of the previous query stay on screen (marked busy) until the new query's first page
  // lands, so a sort or filter change repaints once, without a flash of empty rows.
  const previous = useRef<Cache | null>(null);
  if (cache.current.key !== queryKey) {
    previous.current = cache.current;
    cache.current = { key: queryKey, pages: new Map(), loading: new Set(), fresh: new Set() };
  }

  const load = useCallback(
    (page: number) => {
      const c = cache.current;
      if (c.loading.has(page)) return;
      // While scrolling fast, pages asked for a moment ago are already out of view: keep at most
      // two in flight so the core answers the rows in view rather than a backlog.
      if (c.loading.size >= MAX_IN_FLIGHT) return;
      c.loading.add(page);
      const q = JSON.parse(c.key) as KeyedQuery;
      api
        .invoke('inventory:query', {
          kind,
          where: q.where,
          sort: q.sort,
          limit: PAGE,
          offset: page * PAGE,
          ...(q.search ? { search: q.search } : {}),
          ...(q.scope ? { scope: q.scope } : {}),
        })
        .then(
          (res) => {
            c.loading.delete(page);
            if (cache.current !== c) return;
            c.pages.set(page, res.rows);
            c.fresh.add(page);
            if (c.pages.size > KEEP_PAGES) {
              // Drop the pages farthest from this one.
              const far = [...c.pages.keys()].sort(
                (a, b) => Math.abs(b - page) - Math.abs(a - page),
              );
              for (const p of far.slice(0, c.pages.size - KEEP_PAGES)) {
                c.pages.delete(p);
                c.fresh.delete(p);
              }
            }
            fieldsSink.current(res.fields);
            setTotal(res.total);
            setError(null);
            setRenderTick((t) => t + 1);
          },
          (e: unknown) => {
            c.loading.delete(page);
            if (cache.current === c) setError(errorText(e));
            setRenderTick((t) => t + 1);
          },
        );
    },
    [kind],
  );

  // A new query: back to the top, and the first page.
  useEffect(() => {
    scrollRef.current?.scrollTo({ top: 0 });
    load(0);
  }, [queryKey, load, scrollRef]);

  // The unfiltered total, for "1,234 of 11,000".
  useEffect(() => {
    let live = true;
    // Within the scope: "4 of 120 VMs in vc-lab", not "4 of 11,000".
    api.invoke('inventory:query', { kind, limit: 0, ...(scope ? { scope } : {}) }).then(
      (r) => live && setGrandTotal(r.total),
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [kind, tick, scope]);

  const count = total ?? 0;
  const virtualizer = useVirtualizer({
    count,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => rowHeight,
    overscan: 8,
    paddingStart: rowHeight,
  });
  useEffect(() => {
    virtualizer.measure();
  }, [rowHeight, virtualizer]);
  const items = virtualizer.getVirtualItems();
  const first = items[0]?.index ?? 0;
  const last = items.at(-1)?.index ?? 0;

  // Live update: keep what is shown, refetch the pages in view.
  const lastTick = useRef(tick);
  useEffect(() => {
    if (lastTick.current === tick) return;
    lastTick.current = tick;
    cache.current.fresh.clear();
    const pages = total === null ? [0] : pagesFor(first, last, PAGE, Math.max(count, 1));
    for (const p of pages) load(p);
  }, [tick, first, last, count, total, load]);

  // The pages in view now; the margin either side only once the table has been idle a moment,
  // so a margin page never delays the answer to the user's next sort or filter.
  useEffect(() => {
    if (total === null || count === 0) return;
    const wanted = pagesFor(first, last, PAGE, count);
    const inView = wanted.filter((p) => p * PAGE <= last && (p + 1) * PAGE > first);
    for (const p of inView) if (!cache.current.fresh.has(p)) load(p);
    const margins = wanted.filter((p) => !inView.includes(p) && !cache.current.fresh.has(p));
    if (margins.length === 0) return;
    const t = setTimeout(() => {
      if (cache.current.loading.size === 0) for (const p of margins) load(p);
    }, MARGIN_DELAY_MS);
    return () => clearTimeout(t);
  });

  const rowAt = useCallback((index: number): QueryRow | undefined => {
    const c = cache.current.pages.size > 0 ? cache.current : (previous.current ?? cache.current);
    return c.pages.get(Math.floor(index / PAGE))?.[index % PAGE];
  }, []);

  const fetchRange = useCallback(
    async (start: number, end: number): Promise<QueryRow[]> => {
      const rows: QueryRow[] = [];
      let missing = false;
      for (let i = start; i <= end; i++) {
        const r = rowAt(i);
        if (!r) {
          missing = true;
          break;
        }
        rows.push(r);
      }
      if (!missing) return rows;
      const q = JSON.parse(cache.current.key) as KeyedQuery;
      const res = await api.invoke('inventory:query', {
        kind,
        where: q.where,
        sort: q.sort,
        offset: start,
        limit: Math.min(MAX_FETCH, end - start + 1),
        ...(q.search ? { search: q.search } : {}),
        ...(q.scope ? { scope: q.scope } : {}),
      });
      return [...res.rows];
    },
    [kind, rowAt],
  );

  return {
    queryKey,
    total,
    grandTotal,
    error,
    renderTick,
    empty: cache.current.pages.size === 0,
    virtualizer,
    items,
    rowAt,
    fetchRange,
  };
}
