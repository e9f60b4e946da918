import { create } from 'zustand';
import type { QueryKind } from '../../../shared/query.js';
import type { ColumnFilter, QuickFilters } from '../components/table-model.js';
import type { Page } from './ui.js';
import { useUi } from './ui.js';

/** A table opened already filtered: a dashboard card, a chart bar, a link in a detail view. */
export interface TableIntent {
  readonly kind: QueryKind;
  readonly quick?: Partial<QuickFilters>;
  readonly filters?: readonly ColumnFilter[];
  readonly search?: string;
}

interface IntentState {
  readonly intent: TableIntent | null;
  /** Consumed by the table of that kind when it mounts or is already showing. */
  take(kind: QueryKind): TableIntent | null;
}

export const useTableIntent = create<IntentState>((set, get) => ({
  intent: null,
  take(kind) {
    const intent = get().intent;
    if (!intent || intent.kind !== kind) return null;
    set({ intent: null });
    return intent;
  },
}));

/**
 * Goes to a table page with filters applied.
 *
 * @example openTable('vms', { kind: 'vms', quick: { powerState: 'poweredOff' } })
 */
export function openTable(page: Page, intent: TableIntent): void {
  useTableIntent.setState({ intent });
  useUi.getState().setPage(page);
}
