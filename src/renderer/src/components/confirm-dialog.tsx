import { useState } from 'react';
import type { ReactElement, ReactNode } from 'react';
import { Dialog } from './dialog.js';
import { errorText } from '../format.js';

interface Props {
  readonly label: string;
  readonly title: string;
  readonly children: ReactNode;
  readonly confirmText: string;
  readonly danger?: boolean;
  /** Resolves when done; a rejection keeps the dialog open and shows the message. */
  readonly onConfirm: () => Promise<void>;
  readonly onCancel: () => void;
}

/** Asks before doing something that cannot be undone. */
export function ConfirmDialog({
  label,
  title,
  children,
  confirmText,
  danger,
  onConfirm,
  onCancel,
}: Props): ReactElement {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const confirm = async (): Promise<void> => {
    setBusy(true);
    setError(null);
    try {
      await onConfirm();
    } catch (e) {
      setError(errorText(e));
      setBusy(false);
    }
  };
  return (
    <Dialog label={label} onClose={onCancel}>
      <h2>{title}</h2>
      <div className="dialog-body">{children}</div>
      {error && (
        <div role="alert" className="error">
          {error}
        </div>
      )}
      <div className="dialog-actions">
        <button type="button" className="btn" onClick={onCancel} data-autofocus>
          Cancel
        </button>
        <button
          type="button"
          className={`btn ${danger ? 'danger' : 'primary'}`}
          disabled={busy}
          onClick={() => void confirm()}
        >
          {busy ? 'Working…' : confirmText}
        </button>
      </div>
    </Dialog>
  );
}
