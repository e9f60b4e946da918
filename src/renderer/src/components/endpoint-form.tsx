import { useId, useState } from 'react';
import type { FormEvent, ReactElement, ReactNode } from 'react';
import type { EndpointDto, EndpointKind } from '../../../shared/endpoints.js';
import { DEFAULT_PORTS, ENDPOINT_KINDS } from '../../../shared/endpoints.js';
import { api } from '../transport.js';
import { Dialog } from './dialog.js';
import type { EndpointField, EndpointFormValues, FieldErrors } from './endpoint-form-model.js';
import {
  emptyForm,
  fieldErrorsFromServer,
  formFromEndpoint,
  toEndpointInput,
  toEndpointUpdate,
} from './endpoint-form-model.js';

export const KIND_LABELS: Record<EndpointKind, string> = {
  vcenter: 'vCenter',
  esxi: 'ESXi host',
  hyperv: 'Hyper-V host',
};

interface Props {
  /** Absent: add a new endpoint. */
  readonly endpoint?: EndpointDto;
  readonly onSaved: (endpoint: EndpointDto) => void;
  readonly onClose: () => void;
}

/** Add or edit an endpoint. The password is write-only: never shown, blank on edit keeps it. */
export function EndpointForm({ endpoint, onSaved, onClose }: Props): ReactElement {
  const [values, setValues] = useState<EndpointFormValues>(() =>
    endpoint ? formFromEndpoint(endpoint) : emptyForm(),
  );
  const [errors, setErrors] = useState<FieldErrors>({});
  const [busy, setBusy] = useState(false);
  const id = useId();
  const editing = endpoint !== undefined;
  const label = editing ? `Edit endpoint ${endpoint.name}` : 'Add endpoint';

  const set = <K extends EndpointField>(key: K, value: EndpointFormValues[K]): void => {
    setValues((v) => ({ ...v, [key]: value }));
    setErrors((e) => {
      if (!e[key] && !e.form) return e;
      const { [key]: _dropped, form: _form, ...rest } = e;
      return rest;
    });
  };

  const submit = async (e: FormEvent<HTMLFormElement>): Promise<void> => {
    e.preventDefault();
    let save: () => Promise<EndpointDto>;
    if (endpoint) {
      const checked = toEndpointUpdate(endpoint, values);
      if (!checked.ok) return setErrors(checked.errors);
      save = () => api.invoke('endpoints:update', checked.value);
    } else {
      const checked = toEndpointInput(values);
      if (!checked.ok) return setErrors(checked.errors);
      save = () => api.invoke('endpoints:add', checked.value);
    }
    setBusy(true);
    try {
      const saved = await save();
      // The password leaves the renderer's memory as soon as the core has it.
      setValues((v) => ({ ...v, password: '' }));
      onSaved(saved);
    } catch (err) {
      setErrors(fieldErrorsFromServer(err));
      setBusy(false);
    }
  };

  const field = (
    key: EndpointField,
    title: string,
    control: ReactNode,
    hint?: string,
  ): ReactElement => {
    const error = errors[key];
    return (
      <div className={`field ${error ? 'invalid' : ''}`}>
        <label htmlFor={`${id}-${key}`}>{title}</label>
        {control}
        {hint && !error && (
          <span className="hint" id={`${id}-${key}-hint`}>
            {hint}
          </span>
        )}
        {error && (
          <span className="field-error" id={`${id}-${key}-error`} role="alert">
            {error}
          </span>
        )}
      </div>
    );
  };
  const aria = (key: EndpointField): Record<string, string | boolean> => ({
    id: `${id}-${key}`,
    'aria-invalid': errors[key] !== undefined,
    ...(errors[key] ? { 'aria-describedby': `${id}-${key}-error` } : {}),
  });
  const text = (
    key: 'name' | 'host' | 'port' | 'username' | 'tags' | 'pollIntervalSeconds' | 'thumbprint',
  ) => ({
    ...aria(key),
    value: values[key],
    onChange: (e: { target: { value: string } }) => set(key, e.target.value),
  });

  return (
    <Dialog label={label} onClose={onClose} className="form-dialog">
      <h2>{editing ? `Edit ${endpoint.name}` : 'Add endpoint'}</h2>
      <form className="endpoint-form" onSubmit={(e) => void submit(e)} noValidate>
        {field(
          'name',
          'Name',
          <input type="text" autoComplete="off" data-autofocus {...text('name')} />,
        )}
        {field(
          'kind',
          'Type',
          <select
            {...aria('kind')}
            value={values.kind}
            disabled={editing}
            onChange={(e) => set('kind', e.target.value as EndpointKind)}
          >
            {ENDPOINT_KINDS.map((k) => (
              <option key={k} value={k}>
                {KIND_LABELS[k]}
              </option>
            ))}
          </select>,
          editing ? 'The type of an endpoint cannot change.' : undefined,
        )}
        {field(
          'host',
          'Host',
          <input type="text" autoComplete="off" spellCheck={false} {...text('host')} />,
        )}
        {field(
          'port',
          'Port',
          <input
            type="text"
            inputMode="numeric"
            placeholder={String(DEFAULT_PORTS[values.kind])}
            {...text('port')}
          />,
          `Blank: ${DEFAULT_PORTS[values.kind]}`,
        )}
        {field(
          'username',
          'Username',
          <input type="text" autoComplete="off" spellCheck={false} {...text('username')} />,
        )}
        {field(
          'password',
          'Password',
          // Uncontrolled on purpose: a controlled input mirrors its value into the DOM attribute.
          <input
            type="password"
            autoComplete="new-password"
            {...aria('password')}
            placeholder={editing ? 'Leave blank to keep the stored password' : ''}
            onChange={(e) => set('password', e.target.value)}
          />,
          editing
            ? `Stored: ${endpoint.credential === 'set' ? 'yes' : endpoint.credential === 'reenter' ? 'needs re-entering' : 'no'}. Blank keeps it.`
            : 'Sealed in the vault at once; never shown again.',
        )}
        {field(
          'tags',
          'Tags',
          <input type="text" autoComplete="off" placeholder="prod, dc1" {...text('tags')} />,
          'Comma separated',
        )}
        {field(
          'pollIntervalSeconds',
          'Poll interval (seconds)',
          <input type="text" inputMode="numeric" {...text('pollIntervalSeconds')} />,
          '30 to 86400',
        )}
        {field(
          'thumbprint',
          'Certificate thumbprint (SHA-256)',
          <input
            type="text"
            autoComplete="off"
            spellCheck={false}
            className="mono"
            placeholder="AB:CD:…"
            {...text('thumbprint')}
          />,
          'Optional: pins the server certificate',
        )}
        <div className="checks">
          <label>
            <input
              type="checkbox"
              checked={values.enabled}
              onChange={(e) => set('enabled', e.target.checked)}
            />{' '}
            Enabled
          </label>
          <label>
            <input
              type="checkbox"
              checked={values.trustOnFirstUse}
              onChange={(e) => set('trustOnFirstUse', e.target.checked)}
            />{' '}
            Trust on first use
          </label>
          {values.kind === 'hyperv' && (
            <label>
              <input
                type="checkbox"
                checked={values.useSsl}
                onChange={(e) => set('useSsl', e.target.checked)}
              />{' '}
              WinRM over HTTPS
            </label>
          )}
          {values.kind !== 'hyperv' && (
            <label title="RVTools' vFileInfo sheet. Slow on large estates: the datastore browser walks every folder of every datastore on each full sync.">
              <input
                type="checkbox"
                checked={values.fileInfo}
                onChange={(e) => set('fileInfo', e.target.checked)}
              />{' '}
              List datastore files (slow on large estates)
            </label>
          )}
          {(['enabled', 'trustOnFirstUse', 'useSsl', 'fileInfo'] as const).map(
            (k) =>
              errors[k] && (
                <span key={k} className="field-error" role="alert">
                  {errors[k]}
                </span>
              ),
          )}
        </div>
        {field(
          'notes',
          'Notes',
          <textarea
            {...aria('notes')}
            rows={3}
            value={values.notes}
            onChange={(e) => set('notes', e.target.value)}
          />,
        )}
        {errors.form && (
          <div role="alert" className="error">
            {errors.form}
          </div>
        )}
        <div className="dialog-actions">
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="btn primary" disabled={busy}>
            {busy ? 'Saving…' : editing ? 'Save changes' : 'Save'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
