import { AppError } from '../../shared/errors.js';
import type { EndpointKind } from '../../shared/endpoints.js';
import type { HttpResult, ProbeOptions } from './probes.js';
import { httpExchange } from './probes.js';

/*
 * A deliberately small SOAP probe, separate from the vSphere collector's client: the doctor needs
 * three calls and a few fields, and must say precisely what a non-vSphere answer looks like.
 */

export interface ServiceContentFacts {
  readonly apiType: string;
  readonly fullName: string;
  readonly version: string;
  readonly sessionManager: string;
  readonly propertyCollector: string;
  readonly rootFolder: string;
}

export interface VsphereProbeTarget {
  readonly host: string;
  readonly port: number;
  readonly thumbprint: string | null;
  /** Defaults to /sdk. */
  readonly path?: string;
}

const SOAP_ACTION = 'urn:vim25/7.0';

export function xmlEscape(s: string): string {
  return s.replace(/[<>&'"]/g, (c) =>
    c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '&' ? '&amp;' : c === "'" ? '&apos;' : '&quot;',
  );
}

function envelope(body: string): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>' +
    '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:vim25="urn:vim25">' +
    `<soapenv:Body>${body}</soapenv:Body></soapenv:Envelope>`
  );
}

/** The text of the first element named `name` (any namespace prefix). */
export function tagText(xml: string, name: string): string | null {
  const m = new RegExp(
    `<(?:[A-Za-z0-9_]+:)?${name}(?:\\s[^>]*)?>([^<]*)</(?:[A-Za-z0-9_]+:)?${name}>`,
  ).exec(xml);
  return m?.[1] === undefined
    ? null
    : m[1].replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

function urlOf(t: VsphereProbeTarget): string {
  const host = t.host.includes(':') && !t.host.startsWith('[') ? `[${t.host}]` : t.host;
  return `https://${host}:${t.port}${t.path ?? '/sdk'}`;
}

async function soap(
  t: VsphereProbeTarget,
  body: string,
  opts: ProbeOptions,
  cookie?: string,
): Promise<HttpResult> {
  return httpExchange({
    url: urlOf(t),
    method: 'POST',
    body: envelope(body),
    headers: {
      'content-type': 'text/xml; charset=utf-8',
      soapaction: SOAP_ACTION,
      ...(cookie ? { cookie } : {}),
    },
    thumbprint: t.thumbprint,
    timeoutMs: opts.timeoutMs,
    signal: opts.signal,
  });
}

function faultOf(res: HttpResult): { code: string | null; text: string } | null {
  if (!/<(?:[A-Za-z0-9_]+:)?Fault[\s>]/.test(res.body)) return null;
  // The fault's type is the first element inside <detail>, e.g. <InvalidLoginFault ...>.
  const detail = /<detail[^>]*>\s*<([A-Za-z0-9_]+:)?([A-Za-z]+)/.exec(res.body);
  return { code: detail?.[2] ?? null, text: tagText(res.body, 'faultstring') ?? 'SOAP fault' };
}

/**
 * RetrieveServiceContent: answers on every vCenter and ESXi without logging in. A server that
 * does not answer it with a ServiceContent is not vSphere.
 */
export async function retrieveServiceContent(
  t: VsphereProbeTarget,
  expected: EndpointKind,
  opts: ProbeOptions,
): Promise<ServiceContentFacts> {
  const res = await soap(
    t,
    '<vim25:RetrieveServiceContent><vim25:_this type="ServiceInstance">ServiceInstance</vim25:_this></vim25:RetrieveServiceContent>',
    opts,
  );
  const apiType = tagText(res.body, 'apiType');
  if (!apiType || !/RetrieveServiceContentResponse/.test(res.body)) {
    const server = typeof res.headers.server === 'string' ? res.headers.server : 'unknown';
    throw new AppError(
      'NOT_VSPHERE',
      `${t.host}:${t.port} answers HTTPS but is not a vSphere API (HTTP ${res.status} on ${t.path ?? '/sdk'}, ` +
        `server "${server}"). Check the host name and port: they should point at the vCenter Server or ESXi host itself.`,
      { status: res.status, server, host: t.host, port: t.port },
    );
  }
  const facts: ServiceContentFacts = {
    apiType,
    fullName: tagText(res.body, 'fullName') ?? '',
    version: tagText(res.body, 'version') ?? '',
    sessionManager: tagText(res.body, 'sessionManager') ?? 'SessionManager',
    propertyCollector: tagText(res.body, 'propertyCollector') ?? 'propertyCollector',
    rootFolder: tagText(res.body, 'rootFolder') ?? 'group-d1',
  };
  if (expected === 'vcenter' && apiType !== 'VirtualCenter') {
    throw new AppError(
      'WRONG_ENDPOINT_KIND',
      `${t.host} is ${facts.fullName || apiType} (an ESXi host, API type ${apiType}), but it is registered as a vCenter. ` +
        'Change its type to esxi, or register the vCenter that manages it instead.',
      { apiType, fullName: facts.fullName, expected },
    );
  }
  if (expected === 'esxi' && apiType !== 'HostAgent') {
    throw new AppError(
      'WRONG_ENDPOINT_KIND',
      `${t.host} is ${facts.fullName || apiType} (API type ${apiType}), but it is registered as an ESXi host. ` +
        'Change its type to vcenter.',
      { apiType, fullName: facts.fullName, expected },
    );
  }
  return facts;
}

export interface LoginProbeResult {
  /** What the login established, for the report ("logged in as ..."). */
  readonly detail: string;
  /** The permission check: null when it could not be run. */
  readonly permission: {
    readonly ok: boolean;
    readonly detail: string;
    readonly error?: AppError;
  } | null;
}

/**
 * Login → read the root folder's children (the least an inventory needs) → Logout. The password
 * travels only in the Login body over the verified TLS connection.
 */
export async function vsphereLoginProbe(
  t: VsphereProbeTarget & { readonly username: string; readonly password: string },
  sc: ServiceContentFacts,
  opts: ProbeOptions,
): Promise<LoginProbeResult> {
  const login = await soap(
    t,
    `<vim25:Login><vim25:_this type="SessionManager">${xmlEscape(sc.sessionManager)}</vim25:_this>` +
      `<vim25:userName>${xmlEscape(t.username)}</vim25:userName><vim25:password>${xmlEscape(t.password)}</vim25:password></vim25:Login>`,
    opts,
  );
  const fault = faultOf(login);
  if (fault) {
    if (
      fault.code === 'InvalidLogin' ||
      fault.code === 'InvalidLoginFault' ||
      /login|password/i.test(fault.text)
    ) {
      throw new AppError(
        'INVALID_LOGIN',
        `${t.host} rejected the user name or password for "${t.username}". Check them (a locked-out account ` +
          'looks the same); on vCenter, include the domain (user@vsphere.local).',
        { username: t.username, fault: fault.code },
      );
    }
    throw new AppError('SOAP_FAULT', `Login failed: ${fault.text}`, { fault: fault.code });
  }
  const setCookie = login.headers['set-cookie']?.[0];
  const cookie = setCookie?.split(';')[0];
  const user = tagText(login.body, 'userName') ?? t.username;
  let permission: LoginProbeResult['permission'] = null;
  try {
    const props = await soap(
      t,
      `<vim25:RetrievePropertiesEx><vim25:_this type="PropertyCollector">${xmlEscape(sc.propertyCollector)}</vim25:_this>` +
        '<vim25:specSet><vim25:propSet><vim25:type>Folder</vim25:type><vim25:pathSet>childEntity</vim25:pathSet></vim25:propSet>' +
        `<vim25:objectSet><vim25:obj type="Folder">${xmlEscape(sc.rootFolder)}</vim25:obj></vim25:objectSet></vim25:specSet>` +
        '<vim25:options></vim25:options></vim25:RetrievePropertiesEx>',
      opts,
      cookie,
    );
    const pf = faultOf(props);
    if (pf || /NoPermission/.test(props.body)) {
      const error = new AppError(
        'NO_PERMISSION',
        `"${user}" logged in but may not read the inventory (${pf?.text ?? 'NoPermission'}). ` +
          'Give the account at least the Read-only role on the vCenter root, propagated to children.',
        { username: t.username },
      );
      permission = { ok: false, detail: error.message, error };
    } else {
      const children = (props.body.match(/<(?:[A-Za-z0-9_]+:)?ManagedObjectReference[\s>]/g) ?? [])
        .length;
      permission = {
        ok: true,
        detail: `Can read the inventory (${children} top-level object(s) visible).`,
      };
    }
  } finally {
    await soap(
      t,
      `<vim25:Logout><vim25:_this type="SessionManager">${xmlEscape(sc.sessionManager)}</vim25:_this></vim25:Logout>`,
      opts,
      cookie,
    ).catch(() => undefined);
  }
  return { detail: `Logged in as ${user}.`, permission };
}
