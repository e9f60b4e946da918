import { useState } from 'react';
import type { ReactElement } from 'react';
import type { TeamServerProbe } from '../../../shared/team-client.js';
import type { FormMessageValue } from './form-message.js';
import { FormMessage } from './form-message.js';
import { errorText } from '../format.js';

type Connector = {
  probe(url: string): Promise<TeamServerProbe>;
  connect(url: string, fingerprint: string): Promise<{ origin: string }>;
};

/**
 * Settings → "Connect to a team server" (desktop): main looks at the server first and shows its
 * certificate; the user trusts the fingerprint shown (compared with the one `serve` printed) or
 * gives the one they were told, and main refuses any other. The window then shows the server's
 * own sign-in page; the local store stays as it is, one click away.
 */
export function TeamServerSection({ connector }: { connector: Connector }): ReactElement {
  const [url, setUrl] = useState('');
  const [probe, setProbe] = useState<TeamServerProbe | null>(null);
  const [trust, setTrust] = useState<'shown' | 'pin'>('shown');
  const [pin, setPin] = useState('');
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<FormMessageValue | null>(null);

  const check = (): void => {
    setBusy(true);
    setMessage(null);
    setProbe(null);
    connector.probe(url.trim()).then(
      (p) => {
        setProbe(p);
        setBusy(false);
      },
      (e: unknown) => {
        setMessage({ error: true, text: errorText(e) });
        setBusy(false);
      },
    );
  };
  const connect = (p: TeamServerProbe): void => {
    setBusy(true);
    setMessage(null);
    connector.connect(p.origin, trust === 'shown' ? p.fingerprint256 : pin.trim()).then(
      (c) => setMessage({ error: false, text: `Opening ${c.origin}…` }),
      (e: unknown) => {
        setMessage({ error: true, text: errorText(e) });
        setBusy(false);
      },
    );
  };

  return (
    <section className="panel" aria-label="Team server">
      <h2>Connect to a team server</h2>
      <p className="muted">
        Show a team server (infrascope serve --listen with TLS) in this window instead of the local
        store: you sign in with your account there and see what your role allows. The local store is
        left as it is; “Use local store” brings it back.
      </p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (url.trim()) check();
        }}
      >
        <label>
          Team server URL{' '}
          <input
            type="url"
            placeholder="https://infrascope.example.com:8443"
            value={url}
            onChange={(e) => {
              setUrl(e.target.value);
              setProbe(null);
            }}
            aria-label="Team server URL"
          />
        </label>{' '}
        <button type="submit" className="btn" disabled={busy || !url.trim()}>
          Check the server
        </button>
      </form>
      {probe && (
        <form
          aria-label="Trust the team server"
          onSubmit={(e) => {
            e.preventDefault();
            connect(probe);
          }}
        >
          <dl className="info-list">
            <dt>Server</dt>
            <dd className="mono">{probe.origin}</dd>
            <dt>SHA-256 fingerprint</dt>
            <dd className="mono" aria-label="Certificate fingerprint">
              {probe.fingerprint256}
            </dd>
            <dt>Subject</dt>
            <dd className="mono">{probe.subject}</dd>
            <dt>Issuer</dt>
            <dd className="mono">
              {probe.issuer}
              {probe.selfSigned ? ' (self-signed)' : ''}
              {probe.trustedByCa ? ' (trusted by this system)' : ''}
            </dd>
            <dt>Valid</dt>
            <dd>
              {probe.validFrom.slice(0, 10)} to {probe.validTo.slice(0, 10)}
            </dd>
          </dl>
          <fieldset className="trust-choice">
            <legend>Trust</legend>
            <label>
              <input
                type="radio"
                name="team-trust"
                checked={trust === 'shown'}
                onChange={() => setTrust('shown')}
              />{' '}
              Trust this certificate: its fingerprint is the one the server’s administrator gave
              (serve prints it when it starts)
            </label>
            <label>
              <input
                type="radio"
                name="team-trust"
                checked={trust === 'pin'}
                onChange={() => setTrust('pin')}
              />{' '}
              Pin the fingerprint I was given:{' '}
              <input
                className="mono"
                aria-label="Pinned fingerprint"
                placeholder="AB:CD:…"
                value={pin}
                disabled={trust !== 'pin'}
                onChange={(e) => setPin(e.target.value)}
              />
            </label>
          </fieldset>
          <button
            type="submit"
            className="btn primary"
            disabled={busy || (trust === 'pin' && !pin.trim())}
          >
            Connect
          </button>
        </form>
      )}
      <FormMessage message={message} />
    </section>
  );
}
