import { useEffect, useState } from 'react';
import type { Dispatch, ReactElement, SetStateAction } from 'react';
import type { QueryFieldInfo } from '../../../shared/query.js';
import { useLive } from '../stores/live.js';
import { api } from '../transport.js';
import { describeFilter } from './column-filter.js';
import type { ColumnFilter, QuickFilters } from './table-model.js';

const POWER_LABELS: Record<string, string> = {
  poweredOn: 'On',
  poweredOff: 'Off',
  suspended: 'Suspended',
  standBy: 'Standby',
  unknown: 'Unknown',
};

/** A chip group of one choice among `options`, or "all" (null). */
function ChipSelect({
  label,
  all,
  value,
  options,
  onChange,
}: {
  readonly label: string;
  readonly all: string;
  readonly value: string | null;
  readonly options: readonly string[];
  readonly onChange: (value: string | null) => void;
}): ReactElement {
  return (
    <select
      className="chip-select"
      aria-label={label}
      value={value ?? ''}
      onChange={(e) => onChange(e.target.value || null)}
    >
      <option value="">{all}</option>
      {options.map((x) => (
        <option key={x} value={x}>
          {x}
        </option>
      ))}
    </select>
  );
}

interface Props {
  /** The kind's fields: a chip group shows only where its field exists. */
  readonly fields: readonly QueryFieldInfo[];
  readonly quick: QuickFilters;
  readonly onQuick: Dispatch<SetStateAction<QuickFilters>>;
  /** Column filters in force, each shown as a removable chip. */
  readonly filters: readonly ColumnFilter[];
  readonly onRemoveFilter: (field: string) => void;
  /** Whether any filter or search is in force (shows "Clear filters"). */
  readonly anyFilter: boolean;
  readonly onClearAll: () => void;
  /** The selection count or the last action's notice, at the bar's end. */
  readonly status: string;
}

/**
 * The chips under a table's title: power state, endpoint, cluster, tag and stale quick filters
 * (choices from the store, refreshed on live updates), the column filters in force, and
 * "Clear filters".
 */
export function QuickFilterBar({
  fields,
  quick,
  onQuick,
  filters,
  onRemoveFilter,
  anyFilter,
  onClearAll,
  status,
}: Props): ReactElement {
  const [clusters, setClusters] = useState<readonly string[]>([]);
  const [endpoints, setEndpoints] = useState<readonly string[]>([]);
  const [tags, setTags] = useState<readonly string[]>([]);
  const tick = useLive((s) => s.tick);

  // Chip choices: endpoints and clusters present in the store.
  const hasField = (name: string): boolean => fields.some((f) => f.name === name);
  const wantsClusters = hasField('cluster');
  const wantsEndpoints = hasField('endpoint');
  const wantsTags = hasField('tags');
  useEffect(() => {
    let live = true;
    if (wantsClusters) {
      api
        .invoke('inventory:query', {
          kind: 'clusters',
          limit: 500,
          sort: [{ field: 'name', desc: false }],
          // Names only: a cluster row also counts its VMs, which the chips do not show.
          fields: ['name'],
        })
        .then(
          (r) =>
            live &&
            setClusters([...new Set(r.rows.map((x) => String(x['name'] ?? '')))].filter(Boolean)),
          () => undefined,
        );
    }
    if (wantsEndpoints) {
      api.invoke('inventory:query', { kind: 'endpoints', limit: 500, fields: ['name'] }).then(
        (r) => live && setEndpoints(r.rows.map((x) => String(x['name'] ?? '')).filter(Boolean)),
        () => undefined,
      );
    }
    if (wantsTags) {
      api.invoke('inventory:tags', {}).then(
        (r) => live && setTags(r),
        () => undefined,
      );
    }
    return () => {
      live = false;
    };
  }, [wantsClusters, wantsEndpoints, wantsTags, tick]);

  const choiceGroups: readonly {
    key: 'endpoint' | 'cluster' | 'tag';
    label: string;
    all: string;
    show: boolean;
    options: readonly string[];
  }[] = [
    {
      key: 'endpoint',
      label: 'Endpoint',
      all: 'All endpoints',
      show: wantsEndpoints && endpoints.length > 1,
      options: endpoints,
    },
    {
      key: 'cluster',
      label: 'Cluster',
      all: 'All clusters',
      show: wantsClusters && clusters.length > 0,
      options: clusters,
    },
    {
      key: 'tag',
      label: 'Tag',
      all: 'All tags',
      show: wantsTags && (tags.length > 0 || quick.tag !== null),
      // A tag handed over by a link stays choosable even when the store no longer has it.
      options: quick.tag === null || tags.includes(quick.tag) ? tags : [quick.tag, ...tags],
    },
  ];
  const powerField = fields.find((f) => f.name === 'powerState' && f.type === 'enum');
  const labelOf = (name: string): string => fields.find((x) => x.name === name)?.label ?? name;

  return (
    <div className="chips" role="toolbar" aria-label="Quick filters">
      {powerField?.values?.map((p) => (
        <button
          key={p}
          className={`chip ${quick.powerState === p ? 'active' : ''}`}
          aria-pressed={quick.powerState === p}
          onClick={() => onQuick((q) => ({ ...q, powerState: q.powerState === p ? null : p }))}
        >
          {POWER_LABELS[p] ?? p}
        </button>
      ))}
      {choiceGroups.map(
        (g) =>
          g.show && (
            <ChipSelect
              key={g.key}
              label={g.label}
              all={g.all}
              value={quick[g.key]}
              options={g.options}
              onChange={(v) => onQuick((q) => ({ ...q, [g.key]: v }))}
            />
          ),
      )}
      {hasField('lastSeen') && (
        <button
          className={`chip ${quick.stale ? 'active' : ''}`}
          aria-pressed={quick.stale}
          title="Not seen by its endpoint for more than 24 hours"
          onClick={() => onQuick((q) => ({ ...q, stale: !q.stale }))}
        >
          Stale
        </button>
      )}
      {filters.map((f) => (
        <span key={f.field} className="chip active filter-chip">
          {describeFilter(
            f,
            fields.find((x) => x.name === f.field),
          )}
          <button
            className="chip-x"
            aria-label={`Remove filter on ${labelOf(f.field)}`}
            onClick={() => onRemoveFilter(f.field)}
          >
            ×
          </button>
        </span>
      ))}
      {anyFilter && (
        <button className="chip clear" onClick={onClearAll}>
          Clear filters
        </button>
      )}
      <span className="selection-info" aria-live="polite">
        {status}
      </span>
    </div>
  );
}
