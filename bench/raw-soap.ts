/**
 * The vSphere benchmark's raw transfer: vim25 calls whose answers are read and thrown away, not
 * decoded, so the benchmark can tell the network's and the server's share of a sync from the
 * parse. Same TLS as the client (a pinned keep-alive agent) and the same envelopes
 * (request-xml.ts); only the answer handling differs, and it lives here, not in the product.
 */
import https from 'node:https';
import { envelope, loginXml, textXml } from '../src/core/collectors/vsphere/request-xml.js';
import { parseServiceContent } from '../src/core/collectors/vsphere/session.js';
import type { ServiceContent } from '../src/core/collectors/vsphere/session.js';
import { faultToError, readEnvelope } from '../src/core/collectors/vsphere/soap-envelope.js';
import { decodeXml } from '../src/core/collectors/vsphere/vim-decoder.js';
import { obj } from '../src/core/collectors/vsphere/vim-values.js';
import type { MoRef, VimValue } from '../src/core/collectors/vsphere/vim-values.js';
import { createPinnedAgent } from '../src/core/net/tls-trust.js';

export interface RawTarget {
  readonly host: string;
  readonly port: number;
  readonly thumbprint: string | null;
  readonly username: string;
  readonly password: string;
}

/** What a discarded answer leaves: its size, and the paging token when it carried one. */
export interface Discarded {
  readonly bytes: number;
  readonly token: string | null;
}

/** A RetrieveResult's token sits near the start of the answer: this much is kept to find it. */
const HEAD_BYTES = 2048;
const SERVICE_INSTANCE: MoRef = { type: 'ServiceInstance', value: 'ServiceInstance' };

interface Answer {
  readonly bytes: number;
  readonly head: string;
  /** The whole body, only when asked to keep it. */
  readonly body: Buffer | null;
}

/** One logged-in vim25 session that reads answers without decoding them. */
export class RawSoapSession {
  private readonly agent: https.Agent;
  private readonly url: URL;
  private cookie: string | undefined;
  private soapAction = 'urn:vim25';
  private sc: ServiceContent | undefined;

  private constructor(
    target: RawTarget,
    private readonly timeoutMs: number,
  ) {
    this.agent = createPinnedAgent(target.thumbprint, { maxSockets: 1 });
    this.url = new URL(`https://${target.host}:${target.port}/sdk`);
  }

  /** RetrieveServiceContent and Login, on a session of its own. */
  static async open(target: RawTarget, timeoutMs: number): Promise<RawSoapSession> {
    const s = new RawSoapSession(target, timeoutMs);
    s.sc = parseServiceContent(await s.decoded('RetrieveServiceContent', SERVICE_INSTANCE, ''));
    s.soapAction = `urn:vim25/${s.sc.about.apiVersion}`;
    await s.decoded('Login', s.sc.sessionManager, loginXml(target.username, target.password));
    return s;
  }

  get serviceContent(): ServiceContent {
    if (!this.sc) throw new Error('not open');
    return this.sc;
  }

  /** Sends one call; reads its answer to the end, keeping only its size and paging token. */
  async call(method: string, thisRef: MoRef, inner: string): Promise<Discarded> {
    const a = await this.post(method, thisRef, inner, false);
    return { bytes: a.bytes, token: /<token>([^<]*)<\/token>/.exec(a.head)?.[1] ?? null };
  }

  /** A call whose (small) answer is decoded: setup calls, not measured. Returns `returnval`. */
  async decoded(method: string, thisRef: MoRef, inner: string): Promise<VimValue> {
    const a = await this.post(method, thisRef, inner, true);
    const result = readEnvelope(decodeXml(a.body ?? ''));
    if (result === null) throw new Error(`${method}: not a SOAP answer`);
    if (result.kind === 'fault') throw faultToError(result, method);
    return obj(result.value)?.['returnval'] ?? '';
  }

  /** RetrievePropertiesEx and every continuation of one spec; returns the bytes and pages read. */
  async readAll(retrieveXml: string): Promise<{ bytes: number; pages: number }> {
    const pc = this.serviceContent.propertyCollector;
    let page = await this.call('RetrievePropertiesEx', pc, retrieveXml);
    let bytes = page.bytes;
    let pages = 1;
    while (page.token) {
      page = await this.call('ContinueRetrievePropertiesEx', pc, textXml('token', page.token));
      bytes += page.bytes;
      pages++;
    }
    return { bytes, pages };
  }

  /** Logs out and closes the socket. */
  async dispose(): Promise<void> {
    try {
      if (this.sc) await this.call('Logout', this.sc.sessionManager, '');
    } finally {
      this.agent.destroy();
    }
  }

  private post(method: string, thisRef: MoRef, inner: string, keep: boolean): Promise<Answer> {
    const body = Buffer.from(envelope(method, thisRef, inner), 'utf8');
    return new Promise((resolve, reject) => {
      const req = https.request(this.url, {
        method: 'POST',
        agent: this.agent,
        timeout: this.timeoutMs,
        headers: {
          'Content-Type': 'text/xml; charset=utf-8',
          SOAPAction: this.soapAction,
          'Content-Length': body.length,
          ...(this.cookie ? { Cookie: this.cookie } : {}),
        },
      });
      req.on('timeout', () => req.destroy(new Error(`${method} timed out`)));
      req.on('error', reject);
      req.on('response', (res) => {
        const cookie = /^\s*(vmware_soap_session=[^;]*)/.exec(res.headers['set-cookie']?.[0] ?? '');
        if (cookie?.[1]) this.cookie = cookie[1];
        const chunks: Buffer[] = [];
        let head = '';
        let bytes = 0;
        res.on('data', (c: Buffer) => {
          if (head.length < HEAD_BYTES) head += c.subarray(0, HEAD_BYTES).toString('latin1');
          if (keep) chunks.push(c);
          bytes += c.length;
        });
        res.on('error', reject);
        res.on('end', () => {
          // A fault answers HTTP 500 with a SOAP body: let the decoding caller report it.
          if (res.statusCode !== 200 && !keep) {
            reject(new Error(`${method}: HTTP ${res.statusCode}: ${head.slice(0, 300)}`));
            return;
          }
          resolve({ bytes, head, body: keep ? Buffer.concat(chunks) : null });
        });
      });
      req.end(body);
    });
  }
}
