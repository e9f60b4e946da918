import { useState } from 'react';
import type { ReactElement } from 'react';
import type { StoreKeyInfo } from '../../../shared/app.js';
import type { DesktopStoreKey } from '../../../shared/contract.js';
import type { FormMessageValue } from './form-message.js';
import { FormMessage } from './form-message.js';
import { errorText } from '../format.js';

/*
 * Settings → Store → Team store key (desktop, on a team store). Without the key a desktop reads
 * the team's inventory but cannot sync or handle passwords; here the user pastes the key or names
 * the key file the team hands out. Main checks it against the store (a wrong key is refused with
 * STORE_KEY_MISMATCH and nothing saved), seals it like the store password and restarts. The key
 * goes one way: this page is told only the key's id and where it came from.
 */

function keyState(info: StoreKeyInfo): { text: string; problem: boolean } {
  const from = info.source ? ` (from ${info.source})` : '';
  switch (info.state) {
    case 'ok':
      return {
        text: `This app holds the store's key, id ${info.keyId ?? '?'}${from}: it can sync.`,
        problem: false,
      };
    case 'unclaimed':
      return {
        text: `This app holds a key, id ${info.keyId ?? '?'}${from}. No password is sealed in the store yet: the first endpoint saved claims the store for this key.`,
        problem: false,
      };
    case 'missing':
      return { text: `${info.message ?? ''} On this desktop, give it below.`, problem: true };
    case 'mismatch':
      return { text: info.message ?? "This app's key is not the store's.", problem: true };
  }
}

/**
 * An action that restarts the app (Settings → Store): busy while main works, then `done` or the
 * error it answered, as `message` (the page stays if it failed).
 */
export function useRestartingAction<T>(
  act: (input: T) => Promise<void>,
  done: string,
): {
  busy: boolean;
  message: FormMessageValue | null;
  run: (input: T) => void;
} {
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<FormMessageValue | null>(null);
  const run = (input: T): void => {
    setBusy(true);
    setMessage(null);
    act(input).then(
      () => setMessage({ error: false, text: done }),
      (e: unknown) => {
        setBusy(false);
        setMessage({ error: true, text: errorText(e) });
      },
    );
  };
  return { busy, message, run };
}

export function StoreKeyForm({
  info,
  give,
}: {
  info: StoreKeyInfo;
  give: (key: DesktopStoreKey | null) => Promise<void>;
}): ReactElement {
  const [mode, setMode] = useState<'text' | 'file'>('text');
  const [value, setValue] = useState('');
  const action = useRestartingAction(give, 'Restarting with the team store key…');
  const { busy, message } = action;
  const state = keyState(info);
  const run = (key: DesktopStoreKey | null): void => {
    action.run(key);
    // The page keeps no copy of a pasted key once main has it.
    setValue('');
  };
  return (
    <div className="store-key" role="group" aria-label="Team store key">
      <h3>Team store key</h3>
      <p role={state.problem ? 'alert' : 'status'} className={state.problem ? 'error' : 'muted'}>
        {state.text}
      </p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          const v = value.trim();
          if (v) run(mode === 'text' ? { text: v } : { file: v });
        }}
      >
        <fieldset>
          <legend>Give the key as</legend>
          <label>
            <input
              type="radio"
              name="store-key-mode"
              checked={mode === 'text'}
              onChange={() => setMode('text')}
            />{' '}
            Pasted text
          </label>{' '}
          <label>
            <input
              type="radio"
              name="store-key-mode"
              checked={mode === 'file'}
              onChange={() => setMode('file')}
            />{' '}
            Key file
          </label>
        </fieldset>
        <label>
          {mode === 'text' ? 'Key (base64 or hex)' : 'Key file path'}{' '}
          <input
            type={mode === 'text' ? 'password' : 'text'}
            autoComplete="off"
            spellCheck={false}
            placeholder={
              mode === 'text' ? 'the key text from your team' : '/etc/infrascope/team.key'
            }
            value={value}
            onChange={(e) => setValue(e.target.value)}
            aria-label={mode === 'text' ? 'Team store key' : 'Team store key file'}
          />
        </label>{' '}
        <button type="submit" disabled={busy || !value.trim()}>
          Use this key and restart
        </button>
        {info.state !== 'missing' && (
          <button type="button" disabled={busy} onClick={() => run(null)}>
            Forget the key given here
          </button>
        )}
      </form>
      <FormMessage message={message} />
    </div>
  );
}
