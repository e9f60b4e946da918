import { useEffect, useRef, useState } from 'react';
import type { ReactElement } from 'react';
import type { SearchHit } from '../../../shared/details.js';
import { useDetails } from '../stores/details.js';
import { useOverlays } from '../stores/overlays.js';
import { describeScope, useQueryScope, useScope } from '../stores/scope.js';
import type { Page } from '../stores/ui.js';
import { useUi } from '../stores/ui.js';
import { api } from '../transport.js';

const KIND_LABEL: Record<SearchHit['kind'], string> = {
  vm: 'VM',
  host: 'Host',
  cluster: 'Cluster',
  datastore: 'Datastore',
  network: 'Network',
};

interface Command {
  readonly id: string;
  readonly label: string;
  readonly run: () => void;
}

/**
 * Ctrl+K: find any VM, host, cluster, datastore or network by name, IP, DNS name or UUID, or jump
 * to a page. Enter opens the first hit's details.
 */
export function CommandPalette({
  pages,
}: {
  pages: readonly { page: Page; label: string }[];
}): ReactElement | null {
  const { palette, setPalette } = useOverlays();
  const [text, setText] = useState('');
  const [hits, setHits] = useState<readonly SearchHit[]>([]);
  const [active, setActive] = useState(0);
  const [busy, setBusy] = useState(false);
  const openDetails = useDetails((s) => s.open);
  const setPage = useUi((s) => s.setPage);
  const seq = useRef(0);
  // With a workspace scope, search within it unless the user widens the search.
  const scope = useQueryScope();
  const { endpoint: scopeEndpoint, tag: scopeTag } = useScope();
  const [everywhere, setEverywhere] = useState(false);
  const within = scope !== undefined && !everywhere;

  // Cleared as it closes, not as it opens: an effect runs after the first paint, and clearing
  // then would wipe the keys typed right after Ctrl+K into the already focused box.
  useEffect(() => {
    if (!palette) {
      setEverywhere(false);
      setText('');
      setHits([]);
      setActive(0);
    }
  }, [palette]);

  useEffect(() => {
    const q = text.trim();
    if (!palette || q === '') {
      setHits([]);
      return;
    }
    const mine = ++seq.current;
    setBusy(true);
    const t = setTimeout(() => {
      api.invoke('inventory:search', { text: q, limit: 8, ...(within ? { scope } : {}) }).then(
        (r) => {
          if (mine !== seq.current) return;
          setHits(r.hits);
          setActive(0);
          setBusy(false);
        },
        () => mine === seq.current && setBusy(false),
      );
    }, 30);
    return () => clearTimeout(t);
  }, [text, palette, within, scope]);

  if (!palette) return null;
  const q = text.trim().toLowerCase();
  const commands: Command[] = pages
    .filter((p) => q === '' || p.label.toLowerCase().includes(q))
    .map((p) => ({ id: `page:${p.page}`, label: `Go to ${p.label}`, run: () => setPage(p.page) }));
  const entries: { key: string; hit?: SearchHit; cmd?: Command }[] = [
    ...hits.map((h) => ({ key: `${h.kind}:${h.endpointId}:${h.id}`, hit: h })),
    ...commands.slice(0, q === '' ? commands.length : 4).map((c) => ({ key: c.id, cmd: c })),
  ];
  const choose = (i: number): void => {
    const e = entries[i];
    if (!e) return;
    setPalette(false);
    if (e.hit)
      openDetails({
        kind: e.hit.kind,
        endpointId: e.hit.endpointId,
        id: e.hit.id,
        name: e.hit.name,
      });
    else e.cmd?.run();
  };

  return (
    <div className="dialog-backdrop palette-backdrop" onClick={() => setPalette(false)}>
      <div
        className="palette"
        role="dialog"
        aria-modal="true"
        aria-label="Search everything"
        onClick={(e) => e.stopPropagation()}
        onKeyDown={(e) => {
          if (e.key === 'Escape') setPalette(false);
          else if (e.key === 'ArrowDown') setActive((a) => Math.min(entries.length - 1, a + 1));
          else if (e.key === 'ArrowUp') setActive((a) => Math.max(0, a - 1));
          else if (e.key === 'Enter') choose(active);
          else return;
          e.preventDefault();
        }}
      >
        <input
          // Focused as it mounts, so the keys typed right after Ctrl+K land in the search.
          autoFocus
          role="combobox"
          aria-expanded="true"
          aria-controls="palette-list"
          aria-activedescendant={entries[active] ? `palette-${active}` : undefined}
          aria-label="Search by name, IP, DNS name or UUID"
          placeholder="Find a VM, host, datastore… by name, IP or UUID"
          value={text}
          onChange={(e) => setText(e.target.value)}
        />
        {scope !== undefined && (
          <label className="palette-scope">
            <input
              type="checkbox"
              checked={within}
              onChange={(e) => setEverywhere(!e.target.checked)}
            />
            Only in the scope {describeScope(scopeEndpoint, scopeTag)}
          </label>
        )}
        <ul id="palette-list" role="listbox" aria-label="Results">
          {entries.map((e, i) => (
            <li
              key={e.key}
              id={`palette-${i}`}
              role="option"
              aria-selected={i === active}
              className={i === active ? 'active' : ''}
              onMouseEnter={() => setActive(i)}
              onClick={() => choose(i)}
            >
              {e.hit ? (
                <>
                  <span className="hit-kind">{KIND_LABEL[e.hit.kind]}</span>
                  <span className="hit-name">{e.hit.name}</span>
                  {e.hit.matched && <span className="hit-match">{e.hit.matched}</span>}
                  <span className="hit-detail muted">
                    {[e.hit.detail, e.hit.endpoint].filter(Boolean).join(' · ')}
                  </span>
                </>
              ) : (
                <>
                  <span className="hit-kind">Page</span>
                  <span className="hit-name">{e.cmd?.label}</span>
                </>
              )}
            </li>
          ))}
          {q !== '' && !busy && hits.length === 0 && (
            <li className="muted empty-hit">
              Nothing {within ? 'in the scope' : 'in the inventory'} matches “{text.trim()}”.
            </li>
          )}
        </ul>
        <p className="palette-foot muted">↑↓ to move · Enter to open · Esc to close</p>
      </div>
    </div>
  );
}
