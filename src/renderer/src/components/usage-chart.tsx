import { useEffect, useState } from 'react';
import type { ReactElement } from 'react';
import {
  CartesianGrid,
  Line,
  LineChart,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import type { MetricRange, MetricSeries } from '../../../shared/alerts.js';
import { formatBytes, formatMhz } from '../format.js';
import { useLive } from '../stores/live.js';
import { api } from '../transport.js';

const RANGES: readonly MetricRange[] = ['1h', '24h', '7d', '30d'];

interface Props {
  readonly entityType: 'vm' | 'host' | 'datastore' | 'cluster';
  readonly endpointId: number;
  readonly entityId: string;
}

type Metric = 'cpu' | 'memory' | 'storage';

const METRICS: Record<Props['entityType'], readonly Metric[]> = {
  vm: ['cpu', 'memory'],
  host: ['cpu', 'memory'],
  cluster: ['cpu', 'memory'],
  datastore: ['storage'],
};

const LABEL: Record<Metric, string> = { cpu: 'CPU', memory: 'Memory', storage: 'Storage used' };

function tickTime(iso: string, range: MetricRange): string {
  const d = new Date(iso);
  return range === '1h' || range === '24h'
    ? d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' })
    : d.toLocaleDateString(undefined, { month: 'short', day: 'numeric' });
}

/** Usage over time from the metrics store, or a plain statement that there is none yet. */
export function UsageCharts({ entityType, endpointId, entityId }: Props): ReactElement {
  const [range, setRange] = useState<MetricRange>('24h');
  const [series, setSeries] = useState<MetricSeries | null>(null);
  const [state, setState] = useState<'loading' | 'ready' | 'unavailable'>('loading');
  const tick = useLive((s) => s.tick);

  useEffect(() => {
    let live = true;
    api.invoke('metrics:series', { entityType, endpointId, entityId, range }).then(
      (s) => {
        if (!live) return;
        setSeries(s);
        setState('ready');
      },
      () => live && setState('unavailable'),
    );
    return () => {
      live = false;
    };
  }, [entityType, endpointId, entityId, range, tick]);

  const points = series?.points ?? [];
  const empty = state !== 'loading' && points.length === 0;
  return (
    <div className="usage-charts">
      <div className="range-picker" role="group" aria-label="Time range">
        {RANGES.map((r) => (
          <button
            key={r}
            className={`chip ${r === range ? 'active' : ''}`}
            aria-pressed={r === range}
            onClick={() => setRange(r)}
          >
            {r}
          </button>
        ))}
      </div>
      {state === 'loading' && <p className="muted">Loading usage…</p>}
      {empty && (
        <p className="muted no-history" data-testid="no-usage">
          No usage history yet
          {state === 'unavailable'
            ? ' (the metrics store is not available here)'
            : ' for this range'}
          . Charts fill in as syncs collect samples.
        </p>
      )}
      {!empty &&
        state === 'ready' &&
        METRICS[entityType].map((m) => {
          const data = points.map((p) => ({
            at: p.at,
            avg:
              m === 'cpu' ? p.cpuMhzAvg : m === 'memory' ? p.memoryBytesAvg : p.storageUsedBytesAvg,
            max:
              m === 'cpu' ? p.cpuMhzMax : m === 'memory' ? p.memoryBytesMax : p.storageUsedBytesMax,
          }));
          const fmt = (v: number): string => (m === 'cpu' ? formatMhz(v) : formatBytes(v));
          return (
            <figure key={m} className="chart usage-chart" aria-label={`${LABEL[m]} over ${range}`}>
              <figcaption>{LABEL[m]}</figcaption>
              <ResponsiveContainer width="100%" height={140}>
                <LineChart data={data} margin={{ top: 4, right: 8, bottom: 0, left: 0 }}>
                  <CartesianGrid strokeDasharray="3 3" />
                  <XAxis
                    dataKey="at"
                    tickFormatter={(v: string) => tickTime(v, range)}
                    minTickGap={40}
                    fontSize={11}
                  />
                  <YAxis tickFormatter={fmt} width={70} fontSize={11} />
                  <Tooltip
                    labelFormatter={(v) => new Date(String(v)).toLocaleString()}
                    formatter={(v) => (typeof v === 'number' ? fmt(v) : String(v))}
                  />
                  <Line
                    type="monotone"
                    dataKey="avg"
                    name="Average"
                    stroke="#4f9cf9"
                    dot={false}
                    isAnimationActive={false}
                  />
                  <Line
                    type="monotone"
                    dataKey="max"
                    name="Peak"
                    stroke="#e0b341"
                    dot={false}
                    strokeDasharray="4 2"
                    isAnimationActive={false}
                  />
                </LineChart>
              </ResponsiveContainer>
            </figure>
          );
        })}
    </div>
  );
}
