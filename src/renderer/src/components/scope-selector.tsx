import { useEffect, useState } from 'react';
import type { ReactElement } from 'react';
import { useLive } from '../stores/live.js';
import { describeScope, useScope } from '../stores/scope.js';
import { api } from '../transport.js';

/** Keeps the chosen value listed even when the store no longer has it (so it can be cleared). */
function withChosen(options: readonly string[], chosen: string | null): readonly string[] {
  return chosen === null || options.includes(chosen) ? options : [chosen, ...options];
}

/**
 * The workspace scope in the sidebar: an endpoint and a tag (a vSphere tag or an endpoint label)
 * that the inventory tables, the dashboard and the search honour.
 */
export function ScopeSelector(): ReactElement {
  const { endpoint, tag, set, clear } = useScope();
  const [endpoints, setEndpoints] = useState<readonly string[]>([]);
  const [tags, setTags] = useState<readonly string[]>([]);
  const [version, setVersion] = useState(0);

  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const bump = (): void => {
      clearTimeout(timer);
      timer = setTimeout(() => setVersion((v) => v + 1), 1000);
    };
    const off = api.on('endpoints:changed', bump);
    return () => {
      clearTimeout(timer);
      off();
    };
  }, []);
  // Inventory changes (this process's syncs and other processes' writes) come through the tick.
  const tick = useLive((s) => s.tick);
  useEffect(() => {
    let live = true;
    api
      .invoke('inventory:query', {
        kind: 'endpoints',
        limit: 500,
        sort: [{ field: 'name', desc: false }],
        fields: ['name'],
      })
      .then(
        (r) => live && setEndpoints(r.rows.map((x) => String(x['name'] ?? '')).filter(Boolean)),
        () => undefined,
      );
    api.invoke('inventory:tags', {}).then(
      (r) => live && setTags(r),
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [version, tick]);

  const scoped = endpoint !== null || tag !== null;
  return (
    <div className={`scope${scoped ? ' scoped' : ''}`} role="group" aria-label="Scope">
      <div className="scope-head">
        <span>Scope</span>
        {scoped && (
          <button className="link" onClick={clear} aria-label="Clear the scope">
            clear
          </button>
        )}
      </div>
      <select
        aria-label="Scope endpoint"
        value={endpoint ?? ''}
        onChange={(e) => set({ endpoint: e.target.value || null })}
      >
        <option value="">All endpoints</option>
        {withChosen(endpoints, endpoint).map((x) => (
          <option key={x} value={x}>
            {x}
          </option>
        ))}
      </select>
      <select
        aria-label="Scope tag"
        value={tag ?? ''}
        onChange={(e) => set({ tag: e.target.value || null })}
        disabled={tags.length === 0 && tag === null}
      >
        <option value="">{tags.length === 0 && tag === null ? 'No tags' : 'All tags'}</option>
        {withChosen(tags, tag).map((x) => (
          <option key={x} value={x}>
            {x}
          </option>
        ))}
      </select>
    </div>
  );
}

/** "Scope: vc-lab · tag prod" beside a page title while a scope narrows what it shows. */
export function ScopeNote(): ReactElement | null {
  const { endpoint, tag } = useScope();
  if (endpoint === null && tag === null) return null;
  return <span className="scope-note">Scope: {describeScope(endpoint, tag)}</span>;
}
