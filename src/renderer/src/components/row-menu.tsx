import type { ReactElement } from 'react';
import type { QueryKind } from '../../../shared/query.js';
import { Popover } from './popover.js';

interface Props {
  readonly kind: QueryKind;
  readonly at: { readonly x: number; readonly y: number };
  readonly selectedCount: number;
  /** Whether the row under the menu has details to open. */
  readonly canOpen: boolean;
  readonly canExport: boolean;
  /** Whether the menu was opened on a cell (offers "Copy value"). */
  readonly onCell: boolean;
  readonly onOpen: () => void;
  readonly onCopyRows: () => void;
  readonly onExport: () => void;
  readonly onCopyValue: () => void;
  readonly onSelectAll: () => void;
  readonly onClose: () => void;
}

/** The right-click (or context-menu key) menu of the inventory table's rows. */
export function RowMenu({
  kind,
  at,
  selectedCount,
  canOpen,
  canExport,
  onCell,
  onOpen,
  onCopyRows,
  onExport,
  onCopyValue,
  onSelectAll,
  onClose,
}: Props): ReactElement {
  // Each item closes the menu, then acts.
  const act = (action: () => void) => (): void => {
    onClose();
    action();
  };
  const many = selectedCount > 1 ? selectedCount.toLocaleString('en-US') : null;
  return (
    <Popover label="Row actions" role="menu" at={at} onClose={onClose} className="context-menu">
      <button role="menuitem" disabled={!canOpen} onClick={act(onOpen)}>
        Open details
      </button>
      <button role="menuitem" onClick={act(onCopyRows)}>
        Copy {many ? `${many} rows` : 'row'}
      </button>
      {kind === 'vms' && (
        <button role="menuitem" disabled={!canExport} onClick={act(onExport)}>
          Export {many ? `${many} VMs` : 'this VM'}…
        </button>
      )}
      {onCell && (
        <button role="menuitem" onClick={act(onCopyValue)}>
          Copy value
        </button>
      )}
      <button role="menuitem" onClick={act(onSelectAll)}>
        Select all
      </button>
    </Popover>
  );
}
