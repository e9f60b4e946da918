/**
 * Reading a decoded vim25 answer as a SOAP envelope: the method's response or a fault, and the
 * mapping of vim25 faults to the product's error codes.
 */
import { AppError } from '../../../shared/errors.js';
import { obj } from './vim-values.js';
import type { VimObject, VimValue } from './vim-values.js';

/** A decoded SOAP envelope: either the method's response element or a fault. */
export type SoapResult =
  | { kind: 'response'; method: string; value: VimValue }
  | { kind: 'fault'; faultType: string; message: string; detail: VimObject | undefined };

/**
 * Interprets a decoded document as a vim25 envelope. Returns null when it is not a SOAP envelope at
 * all (the caller reports NOT_VSPHERE).
 */
export function readEnvelope(doc: { name: string; value: VimValue }): SoapResult | null {
  if (doc.name !== 'Envelope') return null;
  const body = obj(obj(doc.value)?.['Body']);
  if (!body) return null;
  const fault = obj(body['Fault']);
  if (fault) {
    const message = typeof fault['faultstring'] === 'string' ? fault['faultstring'] : 'SOAP fault';
    const detail = obj(fault['detail']);
    let faultType = 'Unknown';
    let faultDetail: VimObject | undefined;
    if (detail) {
      const key = Object.keys(detail).find((k) => k !== '_type');
      if (key) {
        const d = detail[key];
        faultDetail = obj(Array.isArray(d) ? d[0] : d);
        faultType = faultDetail?._type ?? key.replace(/Fault$/, '');
      }
    }
    return { kind: 'fault', faultType, message, detail: faultDetail };
  }
  const method = Object.keys(body).find((k) => k !== '_type');
  if (!method) return null;
  return { kind: 'response', method, value: body[method] ?? '' };
}

const FAULT_CODES: Readonly<
  Record<string, 'INVALID_LOGIN' | 'NOT_AUTHENTICATED' | 'NO_PERMISSION' | 'INVALID_PROPERTY'>
> = {
  InvalidLogin: 'INVALID_LOGIN',
  NotAuthenticated: 'NOT_AUTHENTICATED',
  NoPermission: 'NO_PERMISSION',
  InvalidProperty: 'INVALID_PROPERTY',
};

/** Maps a SOAP fault to the product's error; details carry the fault type and server message. */
export function faultToError(
  f: { faultType: string; message: string; detail: VimObject | undefined },
  method: string,
): AppError {
  const code = FAULT_CODES[f.faultType] ?? 'SOAP_FAULT';
  const details: Record<string, unknown> = {
    faultType: f.faultType,
    faultMessage: f.message,
    method,
  };
  if (f.faultType === 'InvalidProperty' && typeof f.detail?.['name'] === 'string') {
    details['property'] = f.detail['name'];
  }
  if (f.faultType === 'NoPermission' && typeof f.detail?.['privilegeId'] === 'string') {
    details['privilegeId'] = f.detail['privilegeId'];
  }
  const text =
    code === 'INVALID_LOGIN'
      ? 'The vSphere server rejected the user name or password.'
      : code === 'NOT_AUTHENTICATED'
        ? 'The vSphere session is not authenticated (it expired or was logged out).'
        : code === 'NO_PERMISSION'
          ? `The account lacks a permission needed for ${method}.`
          : `vSphere ${method} failed: ${f.faultType}: ${f.message}`;
  return new AppError(code, text, details);
}
