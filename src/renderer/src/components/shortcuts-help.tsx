import type { ReactElement } from 'react';
import { useOverlays } from '../stores/overlays.js';
import { Dialog } from './dialog.js';

/** Every keyboard shortcut, grouped; opened with "?". */
export const SHORTCUTS: readonly { group: string; keys: readonly (readonly [string, string])[] }[] =
  [
    {
      group: 'Anywhere',
      keys: [
        ['Ctrl+K', 'Search everything (names, IPs, UUIDs) and jump to pages'],
        ['/', 'Search the current table'],
        ['g then v / h / c / d / n', 'Go to VMs, Hosts, Clusters, Datastores, Networks'],
        ['?', 'This help'],
        ['Esc', 'Close the details panel or a dialog'],
      ],
    },
    {
      group: 'Tables',
      keys: [
        ['↑ ↓ PgUp PgDn Home End', 'Move the active row'],
        ['Shift + move / Shift+click', 'Extend the selection'],
        ['Ctrl+click / Space', 'Add or remove one row'],
        ['Ctrl+A', 'Select all rows (up to 10,000)'],
        ['Ctrl+C', 'Copy the selected rows as tab-separated text'],
        ['Enter / double-click', 'Open the row’s details'],
        ['Shift+F10 / right-click', 'Row menu'],
        ['Click / Shift+click a header', 'Sort / add to the sort'],
      ],
    },
    {
      group: 'Details',
      keys: [
        ['Alt+Backspace', 'Back to the previous entity'],
        ['Esc', 'Close'],
      ],
    },
  ];

export function ShortcutsHelp(): ReactElement | null {
  const { help, setHelp } = useOverlays();
  if (!help) return null;
  return (
    <Dialog label="Keyboard shortcuts" onClose={() => setHelp(false)} className="shortcuts-dialog">
      <h2>Keyboard shortcuts</h2>
      <div className="shortcuts">
        {SHORTCUTS.map((g) => (
          <section key={g.group}>
            <h3>{g.group}</h3>
            <dl>
              {g.keys.map(([k, what]) => (
                <div key={k} className="shortcut">
                  <dt>
                    <kbd>{k}</kbd>
                  </dt>
                  <dd>{what}</dd>
                </div>
              ))}
            </dl>
          </section>
        ))}
      </div>
      <div className="dialog-actions">
        <button className="btn primary" onClick={() => setHelp(false)}>
          Close
        </button>
      </div>
    </Dialog>
  );
}
