/**
 * Fuzzing the vim25 decoder: fast-check arbitraries for hostile input (random text, XML-ish token
 * soup, well-formed trees of vim25-looking elements, mutated real answers) and the property they
 * must all satisfy — the decoder, the envelope reader, the object parser and the mapper either
 * return a value or throw an AppError, never another exception, and never take long. Shared by
 * the seeded run in the test suite (codec.fuzz.test.ts) and the long run (bench/fuzz.ts).
 */
import fc from 'fast-check';
import { AppError } from '../../src/shared/errors.js';
import {
  VimDecoder,
  faultToError,
  path,
  readEnvelope,
} from '../../src/core/collectors/vsphere/codec.js';
import type { VimValue } from '../../src/core/collectors/vsphere/codec.js';
import { parseObject, parseObjects } from '../../src/core/collectors/vsphere/client.js';
import {
  InventoryCache,
  mapEvent,
  mapObject,
  PRUNED,
  samplesFrom,
} from '../../src/core/collectors/vsphere/mapper.js';

const ENV_OPEN =
  '<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" ' +
  'xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body>';
const ENV_CLOSE = '</soapenv:Body></soapenv:Envelope>';

function rpe(objects: string): string {
  return `${ENV_OPEN}<RetrievePropertiesExResponse xmlns="urn:vim25"><returnval>${objects}</returnval></RetrievePropertiesExResponse>${ENV_CLOSE}`;
}

/** Real-shaped answers to mutate: a VM with devices and snapshots, a host, a fault, an event. */
export const SEEDS: readonly string[] = [
  rpe(
    '<token>t1</token><objects><obj type="VirtualMachine">vm-1</obj>' +
      '<propSet><name>name</name><val xsi:type="xsd:string">a &amp; b</val></propSet>' +
      '<propSet><name>runtime.host</name><val type="HostSystem" xsi:type="ManagedObjectReference">host-9</val></propSet>' +
      '<propSet><name>parent</name><val type="Folder" xsi:type="ManagedObjectReference">group-v3</val></propSet>' +
      '<propSet><name>config.hardware.numCPU</name><val xsi:type="xsd:int">4</val></propSet>' +
      '<propSet><name>datastore</name><val xsi:type="ArrayOfManagedObjectReference"><ManagedObjectReference type="Datastore">datastore-7</ManagedObjectReference></val></propSet>' +
      '<propSet><name>config.hardware.device</name><val xsi:type="ArrayOfVirtualDevice">' +
      '<VirtualDevice xsi:type="VirtualDisk"><key>2000</key><controllerKey>1000</controllerKey><capacityInKB>1024</capacityInKB>' +
      '<backing xsi:type="VirtualDiskFlatVer2BackingInfo"><fileName>[ds] a.vmdk</fileName><thinProvisioned>true</thinProvisioned>' +
      '<datastore type="Datastore">datastore-7</datastore></backing></VirtualDevice>' +
      '<VirtualDevice xsi:type="VirtualVmxnet3"><key>4000</key><macAddress>00:50:56:00:00:01</macAddress>' +
      '<backing xsi:type="VirtualEthernetCardNetworkBackingInfo"><deviceName>VM Network</deviceName><network type="Network">network-1</network></backing>' +
      '<connectable><connected>true</connected></connectable></VirtualDevice>' +
      '<VirtualDevice xsi:type="ParaVirtualSCSIController"><key>1000</key><busNumber>0</busNumber></VirtualDevice></val></propSet>' +
      '<propSet><name>guest.net</name><val xsi:type="ArrayOfGuestNicInfo"><GuestNicInfo><deviceConfigId>4000</deviceConfigId>' +
      '<ipAddress>10.0.0.1</ipAddress><ipAddress>fe80::1</ipAddress></GuestNicInfo></val></propSet>' +
      '<propSet><name>snapshot</name><val xsi:type="VirtualMachineSnapshotInfo"><currentSnapshot type="VirtualMachineSnapshot">snap-2</currentSnapshot>' +
      '<rootSnapshotList><snapshot type="VirtualMachineSnapshot">snap-1</snapshot><name>a</name><createTime>2026-01-01T00:00:00Z</createTime>' +
      '<childSnapshotList><snapshot type="VirtualMachineSnapshot">snap-2</snapshot><name>b</name></childSnapshotList></rootSnapshotList></val></propSet>' +
      '<propSet><name>customValue</name><val xsi:type="ArrayOfCustomFieldValue"><CustomFieldValue xsi:type="CustomFieldStringValue"><key>101</key><value>x</value></CustomFieldValue></val></propSet>' +
      '<missingSet><path>guest.hostName</path><fault><fault xsi:type="NoPermission"></fault></fault></missingSet>' +
      '</objects><objects><obj type="HostSystem">host-9</obj><propSet><name>name</name><val xsi:type="xsd:string">esx1</val></propSet>' +
      '<propSet><name>summary.hardware</name><val xsi:type="HostHardwareSummary"><vendor>V</vendor><memorySize>1024</memorySize>' +
      '<otherIdentifyingInfo><identifierValue>SN1</identifierValue><identifierType><key>ServiceTag</key></identifierType></otherIdentifyingInfo></val></propSet>' +
      '</objects><objects><obj type="DistributedVirtualPortgroup">dvportgroup-1</obj><propSet><name>config.defaultPortConfig</name>' +
      '<val xsi:type="VMwareDVSPortSetting"><vlan xsi:type="VmwareDistributedVirtualSwitchTrunkVlanSpec"><vlanId><start>1</start><end>9</end></vlanId></vlan></val></propSet></objects>',
  ),
  `${ENV_OPEN}<soapenv:Fault><faultcode>ServerFaultCode</faultcode><faultstring>no</faultstring>` +
    `<detail><InvalidPropertyFault xmlns="urn:vim25" xsi:type="InvalidProperty"><name>foo</name></InvalidPropertyFault></detail></soapenv:Fault>${ENV_CLOSE}`,
  `${ENV_OPEN}<QueryEventsResponse xmlns="urn:vim25"><returnval xsi:type="VmPoweredOffEvent"><key>7</key><createdTime>2026-01-01T00:00:00Z</createdTime>` +
    `<userName>root</userName><vm><name>x</name><vm type="VirtualMachine">vm-1</vm></vm><fullFormattedMessage>off</fullFormattedMessage></returnval></QueryEventsResponse>${ENV_CLOSE}`,
];

const NAMES = [
  'Envelope',
  'soapenv:Body',
  'Body',
  'RetrievePropertiesExResponse',
  'returnval',
  'objects',
  'obj',
  'propSet',
  'name',
  'val',
  'missingSet',
  'token',
  'snapshot',
  'childSnapshotList',
  'rootSnapshotList',
  'device',
  'key',
  'backing',
  '__proto__',
  'constructor',
  'toString',
  'hasOwnProperty',
  'a',
  'x:y',
];

const XSI_TYPES = [
  'xsd:int',
  'xsd:long',
  'xsd:boolean',
  'xsd:double',
  'xsd:string',
  'xsd:dateTime',
  'ArrayOfString',
  'ArrayOfManagedObjectReference',
  'ArrayOfVirtualDevice',
  'ManagedObjectReference',
  'VirtualDisk',
  'VmwareDistributedVirtualSwitchPvlanSpec',
  '',
  ':',
];

const TEXTS = [
  '',
  'vm-1',
  '1e309',
  '-0',
  'NaN',
  'true',
  '&amp;&lt;&gt;&quot;&apos;',
  '&#x1F600;',
  '&#0;',
  '&#x110000;',
  '&undefined;',
  '<![CDATA[<x>]]>',
  '<!-- c -->',
  '\u0000',
  '\uFFFE',
  '\uD800',
  'ü€𝄞',
];

const TOKENS = [
  '<',
  '>',
  '</',
  '/>',
  '=',
  '"',
  "'",
  '&',
  ';',
  '<?xml version="1.0"?>',
  '<!DOCTYPE a [<!ENTITY e "&e;&e;">]>',
  '<![CDATA[',
  ']]>',
  '<!--',
  '-->',
  ' xsi:type="ArrayOfString"',
  ' type="VirtualMachine"',
  ...NAMES.map((n) => `<${n}>`),
  ...NAMES.map((n) => `</${n}>`),
  ...TEXTS,
];

function escapeAttr(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
}

interface XmlNode {
  readonly name: string;
  readonly xsiType: string | null;
  readonly moType: string | null;
  readonly children: readonly XmlNode[] | string;
}

function render(n: XmlNode): string {
  const attrs =
    (n.xsiType === null ? '' : ` xsi:type="${escapeAttr(n.xsiType)}"`) +
    (n.moType === null ? '' : ` type="${escapeAttr(n.moType)}"`);
  const inner = typeof n.children === 'string' ? n.children : n.children.map(render).join('');
  return `<${n.name}${attrs}>${inner}</${n.name}>`;
}

const node: fc.Arbitrary<XmlNode> = fc.letrec<{ node: XmlNode }>((tie) => ({
  node: fc.record({
    name: fc.constantFrom(...NAMES.filter((n) => n !== 'x:y'), 'x:y'),
    xsiType: fc.option(fc.constantFrom(...XSI_TYPES), { nil: null }),
    moType: fc.option(fc.constantFrom('VirtualMachine', 'HostSystem', ''), { nil: null }),
    children: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.constantFrom(
        ...TEXTS.filter(
          (t) =>
            !t.includes('<') &&
            ![...t].some((ch) => ch === '\uD800' || ch === '\u0000' || ch === '\uFFFE'),
        ),
      ),
      fc.array(tie('node'), { maxLength: 4 }),
    ),
  }),
})).node;

/** Well-formed documents of vim25-looking elements, mostly inside a RetrievePropertiesEx answer. */
export const wellFormedDoc: fc.Arbitrary<string> = fc.oneof(
  fc.array(node, { maxLength: 6 }).map((ns) => rpe(ns.map(render).join(''))),
  node.map(render),
  fc
    .array(node, { maxLength: 4 })
    .map((ns) =>
      rpe(`<objects><obj type="VirtualMachine">vm-1</obj>${ns.map(render).join('')}</objects>`),
    ),
);

/** Token soup: fragments of XML syntax and vim25 names in random order. */
export const tokenSoup: fc.Arbitrary<string> = fc
  .array(fc.oneof(fc.constantFrom(...TOKENS), fc.string({ maxLength: 8 })), { maxLength: 60 })
  .map((parts) => parts.join(''));

interface Mutation {
  readonly op: 'delete' | 'insert' | 'duplicate' | 'truncate' | 'flip';
  readonly at: number;
  readonly len: number;
  readonly text: string;
}

function mutate(doc: string, ms: readonly Mutation[]): string {
  let s = doc;
  for (const m of ms) {
    const at = s.length === 0 ? 0 : m.at % (s.length + 1);
    switch (m.op) {
      case 'delete':
        s = s.slice(0, at) + s.slice(at + m.len);
        break;
      case 'insert':
        s = s.slice(0, at) + m.text + s.slice(at);
        break;
      case 'duplicate':
        s = s.slice(0, at + m.len) + s.slice(at, at + m.len) + s.slice(at + m.len);
        break;
      case 'truncate':
        s = s.slice(0, at);
        break;
      case 'flip': {
        const c = s.charCodeAt(at);
        if (!Number.isNaN(c))
          s = s.slice(0, at) + String.fromCharCode(c ^ (m.len & 0x7f || 1)) + s.slice(at + 1);
        break;
      }
    }
  }
  return s;
}

/** Real answers with a few random edits: deletions, insertions, duplications, cuts, bit flips. */
export const mutatedSeed: fc.Arbitrary<string> = fc
  .tuple(
    fc.constantFrom(...SEEDS),
    fc.array(
      fc.record({
        op: fc.constantFrom('delete', 'insert', 'duplicate', 'truncate', 'flip'),
        at: fc.nat(),
        len: fc.nat({ max: 64 }),
        text: fc.oneof(fc.constantFrom(...TOKENS), fc.string({ maxLength: 6 })),
      }),
      { minLength: 1, maxLength: 6 },
    ),
  )
  .map(([doc, ms]) => mutate(doc, ms));

/** Any of the above, or plain random text (including lone surrogates and control characters). */
export const hostileXml: fc.Arbitrary<string> = fc.oneof(
  mutatedSeed,
  wellFormedDoc,
  tokenSoup,
  fc.string({ unit: 'binary', maxLength: 200 }),
);

/** Chunk boundaries for feeding a document in pieces (split inside multi-byte characters too). */
export const chunking: fc.Arbitrary<number[]> = fc.array(fc.integer({ min: 1, max: 97 }), {
  maxLength: 8,
});

export type Outcome =
  { readonly ok: true; readonly objects: number } | { readonly ok: false; readonly code: string };

function decode(
  bytes: Buffer,
  chunks: readonly number[],
  stream: boolean,
): { name: string; value: VimValue; streamed: VimValue[] } {
  const streamed: VimValue[] = [];
  const d = new VimDecoder({
    maxTreeBytes: 1024 * 1024,
    // Streamed as the collector streams: with the bulky properties pruned while decoding.
    stream: stream
      ? {
          depth: 5,
          names: new Set(['objects']),
          prune: PRUNED,
          onItem: (_n, v) => streamed.push(v),
        }
      : undefined,
  });
  let at = 0;
  for (const size of chunks) {
    if (at >= bytes.length) break;
    d.write(bytes.subarray(at, at + size));
    at += size;
  }
  if (at < bytes.length) d.write(bytes.subarray(at));
  return { ...d.end(), streamed };
}

/**
 * Runs hostile input through everything that reads server data: decoder (whole and streamed,
 * in the given chunks), envelope reader, fault mapping, object parsing, mapping, samples, events.
 * Returns what happened; throws only when something threw that is not an AppError.
 */
export function runPipeline(xml: string, chunks: readonly number[] = [], stream = false): Outcome {
  try {
    const doc = decode(Buffer.from(xml, 'utf8'), chunks, stream);
    const env = readEnvelope(doc);
    if (env === null) return { ok: true, objects: 0 };
    if (env.kind === 'fault') {
      const e = faultToError(env, 'Fuzz');
      if (!(e instanceof AppError)) throw new Error('faultToError returned a non-AppError');
      return { ok: true, objects: 0 };
    }
    const fromTree = parseObjects(path(env.value, 'returnval.objects'));
    const fromStream = doc.streamed.map((v) => parseObject(v)).filter((o) => o !== null);
    const cache = new InventoryCache();
    cache.rootFolderId = 'group-d1';
    const all = [...fromTree, ...fromStream];
    for (const o of all) cache.put(o.obj, o.props);
    const entities = [...cache.objects.values()].flatMap((o) => mapObject(cache, o));
    samplesFrom(cache, '2026-01-01T00:00:00Z', entities);
    JSON.stringify(entities);
    const rv = path(env.value, 'returnval');
    for (const ev of Array.isArray(rv) ? rv : [rv]) {
      if (ev && typeof ev === 'object' && !Array.isArray(ev) && !('type' in ev && 'value' in ev)) {
        mapEvent(ev);
      }
    }
    return { ok: true, objects: all.length };
  } catch (e) {
    if (e instanceof AppError) return { ok: false, code: e.code };
    throw e;
  }
}

/** The codes a decoder failure may carry. */
export const DECODER_CODES: ReadonlySet<string> = new Set(['PROTOCOL_ERROR']);

/** Slower than this for one small document counts as a hang. */
export const HANG_MS = 2000;

/** The property: any input → a value or an AppError with a decoder code, promptly. */
export const decoderProperty = fc.property(
  hostileXml,
  chunking,
  fc.boolean(),
  (xml, chunks, stream) => {
    const t0 = performance.now();
    const r = runPipeline(xml, chunks, stream);
    const ms = performance.now() - t0;
    if (ms > HANG_MS) throw new Error(`took ${ms.toFixed(0)} ms`);
    if (!r.ok && !DECODER_CODES.has(r.code)) throw new Error(`unexpected code ${r.code}`);
  },
);

/** Chunking must not change the result of a well-formed document. */
export const chunkingProperty = fc.property(wellFormedDoc, chunking, (xml, chunks) => {
  const whole = runPipeline(xml);
  const pieces = runPipeline(xml, chunks);
  if (JSON.stringify(whole) !== JSON.stringify(pieces)) {
    throw new Error(`chunked ${JSON.stringify(pieces)} != whole ${JSON.stringify(whole)}`);
  }
});
