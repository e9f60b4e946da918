/**
 * vim25 requests, written by hand: the envelope, its arguments (text, managed object references)
 * and the specs the property collector, the event manager and the session take.
 */
import type { MoRef } from './vim-values.js';

const XML_ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
};

export function xmlEscape(s: string): string {
  return s.replace(/[&<>"']/g, (c) => XML_ESCAPES[c] ?? c);
}

/** `<name type="T">value</name>` for a managed object reference argument. */
export function moRefXml(name: string, ref: MoRef): string {
  return `<${name} type="${xmlEscape(ref.type)}">${xmlEscape(ref.value)}</${name}>`;
}

export function textXml(name: string, value: string | number | boolean): string {
  return `<${name}>${xmlEscape(String(value))}</${name}>`;
}

export function envelope(method: string, thisRef: MoRef, inner: string): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>' +
    '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" ' +
    'xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">' +
    `<soapenv:Body><${method} xmlns="urn:vim25">${moRefXml('_this', thisRef)}${inner}</${method}>` +
    '</soapenv:Body></soapenv:Envelope>'
  );
}

/** Login's arguments. The password is in the body only; never logged. */
export function loginXml(userName: string, password: string): string {
  return textXml('userName', userName) + textXml('password', password);
}

/** `<propSet>` entries for a PropertyFilterSpec. */
export function propertySpecXml(type: string, paths: readonly string[]): string {
  return `<propSet><type>${xmlEscape(type)}</type>${paths.map((p) => textXml('pathSet', p)).join('')}</propSet>`;
}

/** `<objectSet>` that selects every object of a ContainerView (the view itself skipped). */
export function containerViewObjectSpecXml(view: MoRef): string {
  return (
    `<objectSet>${moRefXml('obj', view)}<skip>true</skip>` +
    '<selectSet xsi:type="TraversalSpec"><name>traverseView</name><type>ContainerView</type>' +
    '<path>view</path><skip>false</skip></selectSet></objectSet>'
  );
}

/** `<objectSet>` that selects one object. */
export function objectSpecXml(o: MoRef): string {
  return `<objectSet>${moRefXml('obj', o)}<skip>false</skip></objectSet>`;
}

/** RetrievePropertiesEx's arguments: one PropertyFilterSpec's inner XML and the page size. */
export function retrieveSpecXml(specSetXml: string, maxObjects: number): string {
  return `<specSet>${specSetXml}</specSet><options>${textXml('maxObjects', maxObjects)}</options>`;
}

/** CreateContainerView's arguments: a recursive view of `types` under `container`. */
export function containerViewXml(container: MoRef, types: readonly string[]): string {
  return (
    moRefXml('container', container) +
    types.map((t) => textXml('type', t)).join('') +
    textXml('recursive', true)
  );
}

/** CreateFilter's arguments: one PropertyFilterSpec, updates reported whole. */
export function propertyFilterXml(specXml: string): string {
  return `<spec>${specXml}</spec><partialUpdates>false</partialUpdates>`;
}

/** WaitForUpdatesEx's arguments. */
export function waitForUpdatesXml(version: string, maxWaitSeconds: number): string {
  return (
    textXml('version', version) + `<options>${textXml('maxWaitSeconds', maxWaitSeconds)}</options>`
  );
}

/** QueryEvents' filter: the newest `maxCount` events, since a time when given. */
export function eventFilterXml(sinceIso: string | null, maxCount: number): string {
  return sinceIso
    ? `<filter><time><beginTime>${xmlEscape(sinceIso)}</beginTime></time><maxCount>${maxCount}</maxCount></filter>`
    : `<filter><maxCount>${maxCount}</maxCount></filter>`;
}
