/**
 * The vim25 response decoder: responses are decoded by a streaming pass (xml-scanner.ts) straight into plain JS values, without
 * a DOM. Large answers are streamed: each RetrievePropertiesEx object or WaitForUpdatesEx object
 * update goes to a consumer as it closes (VimStream), so no answer is ever held whole.
 *
 * Decoding rules (driven by what the server says, not by a WSDL):
 * - an element with a `type` attribute and only text is a ManagedObjectReference → {type, value};
 * - `xsi:type="ArrayOfXxx"` → an array of the child values, even with zero or one child;
 * - `xsi:type="xsd:int|long|short|byte|double|float"` → number, `xsd:boolean` → boolean;
 * - an element with child elements → a plain object (`_type` holds its xsi:type when given);
 *   repeated children become arrays, and so do the children in {@link ARRAY_KEYS} even when single;
 * - any other text → string (enums and dateTimes stay strings; the mapper coerces untyped numbers).
 */
import { StringDecoder } from 'node:string_decoder';
import { AppError } from '../../../shared/errors.js';
import { isMoRef } from './vim-values.js';
import type { VimObject, VimValue } from './vim-values.js';
import { XmlScanner } from './xml-scanner.js';

/**
 * Child element names that are arrays in the vim25 schema wherever we read them. Without this, a
 * one-element list would decode as a scalar when the server leaves out the ArrayOf hint (it only
 * gives xsi:type on `val`, never on nested data-object members).
 */
export const ARRAY_KEYS: ReadonlySet<string> = new Set([
  'objects',
  'propSet',
  'missingSet',
  'filterSet',
  'objectSet',
  'changeSet',
  'device',
  'childSnapshotList',
  'rootSnapshotList',
  'net',
  'hostMount',
  'customValue',
]);

/**
 * The members of a data object worth decoding, each with the filter of its own members (null:
 * all of it). See {@link VimDecoderOptions.prune}.
 */
export type Keep = ReadonlyMap<string, Keep | null>;

/** One open element. Frames are reused by depth: a document has millions of elements. */
interface Frame {
  name: string;
  xsiType: string | undefined;
  moType: string | undefined;
  text: string;
  obj: VimObject | undefined;
  list: VimValue[] | undefined;
  repeated: Set<string> | undefined;
  /** Filter of this element's members (of its items', for an array); null keeps everything. */
  keep: Keep | null;
}

function newFrame(name: string): Frame {
  return {
    name,
    xsiType: undefined,
    moType: undefined,
    text: '',
    obj: undefined,
    list: undefined,
    repeated: undefined,
    keep: null,
  };
}

function localName(qname: string): string {
  const i = qname.indexOf(':');
  return i < 0 ? qname : qname.slice(i + 1);
}

/**
 * A copy of `s` that does not pin the chunk it was cut from. Text from the parser is a slice of
 * a 64 KB network chunk, and V8 keeps the whole chunk alive for as long as the slice lives: a
 * VM's name would otherwise hold on to 64 KB of the answer. Short strings are copied anyway.
 */
function own(s: string): string {
  return s.length < 13 ? s : (s + ' ').slice(0, -1);
}

/**
 * Type names (xsi:type, a moref's type) and property paths are a few hundred distinct strings
 * repeated millions of times: one shared, owned copy each, instead of a slice pinning a network
 * chunk (or a copy) per use.
 */
const TYPE_NAMES = new Map<string, string>();

/** The shared copy of a name that recurs in every object (a type, a property path). */
export function internName(s: string): string {
  const known = TYPE_NAMES.get(s);
  if (known !== undefined) return known;
  const copy = own(s);
  // Bounded: a hostile server inventing names gets copies, not an ever-growing table.
  if (TYPE_NAMES.size < 4096) TYPE_NAMES.set(copy, copy);
  return copy;
}

function leafValue(f: Frame): VimValue {
  const t = f.xsiType;
  if (t === undefined) return own(f.text);
  switch (t) {
    case 'int':
    case 'long':
    case 'short':
    case 'byte':
    case 'double':
    case 'float':
      return Number(f.text);
    case 'boolean':
      return f.text === 'true' || f.text === '1';
    case 'string':
    case 'dateTime':
    case 'anyURI':
    case 'base64Binary':
      return own(f.text);
    default:
      // An empty element with a data-object type (e.g. an empty `InvalidLogin` fault detail).
      if (f.text === '') return { _type: t };
      return own(f.text);
  }
}

function frameValue(f: Frame): VimValue {
  if (f.list !== undefined) return f.list;
  if (f.obj !== undefined) {
    if (f.xsiType !== undefined) f.obj._type = f.xsiType;
    return f.obj;
  }
  if (f.moType !== undefined) return { type: f.moType, value: own(f.text) };
  return leafValue(f);
}

function attach(parent: Frame, key: string, v: VimValue): void {
  if (parent.list !== undefined) {
    parent.list.push(v);
    return;
  }
  const obj = (parent.obj ??= {});
  let existing = obj[key];
  // Element names are server data: never let `constructor` or `__proto__` reach the prototype.
  if (existing !== undefined && !Object.hasOwn(obj, key)) existing = undefined;
  if (key === '__proto__') {
    Object.defineProperty(obj, key, {
      value: v,
      enumerable: true,
      writable: true,
      configurable: true,
    });
    return;
  }
  if (existing === undefined) {
    if (ARRAY_KEYS.has(key) && !Array.isArray(v)) {
      obj[key] = [v];
      (parent.repeated ??= new Set()).add(key);
    } else {
      obj[key] = v;
    }
    return;
  }
  if (parent.repeated?.has(key) && Array.isArray(existing)) {
    existing.push(v);
  } else {
    obj[key] = [existing, v];
    (parent.repeated ??= new Set()).add(key);
  }
}

/**
 * Streams the children of one element instead of building them into the document: each child
 * named in `names` that closes at `depth` (the envelope is depth 1) goes to `onItem` and is then
 * dropped, so a 100 MB RetrievePropertiesEx answer never exists as one tree.
 */
export interface VimStream {
  readonly depth: number;
  readonly names: ReadonlySet<string>;
  onItem(name: string, value: VimValue): void;
  /**
   * Properties decoded in part: managed type → property path → the members kept of each item of
   * its array value (a `val` with an ArrayOf type, in an ObjectContent or an ObjectUpdate). The
   * rest is still checked by the scanner but never built: a VM's device list is half of a
   * RetrievePropertiesEx answer, and most of each device is never read.
   */
  readonly prune?: Pruning | undefined;
}

/** See {@link VimStream.prune}. */
export type Pruning = ReadonlyMap<string, ReadonlyMap<string, Keep>>;

export interface VimDecoderOptions {
  readonly stream?: VimStream | undefined;
  /**
   * Bound on the bytes held as one tree: the whole body, or with `stream` the body since the last
   * streamed item. Past it the decoder stops with PROTOCOL_ERROR, so a huge or endless answer
   * cannot exhaust memory.
   */
  readonly maxTreeBytes?: number | undefined;
}

/** Deeper nesting than any vim25 answer has; a bound on hostile input. */
const MAX_DEPTH = 256;
/**
 * Answers read whole (a view's member list, events, service content) are a few MB at most, and
 * RetrievePropertiesEx and WaitForUpdatesEx stream object by object: 64 MiB of XML per tree
 * (a few hundred MB of JS objects) is far above need and still survivable.
 */
const DEFAULT_MAX_TREE_BYTES = 64 * 1024 * 1024;

function protocolError(reason: string): AppError {
  return new AppError('PROTOCOL_ERROR', 'The server sent malformed or truncated XML.', {
    reason: reason.slice(0, 200),
  });
}

/**
 * Incremental decoder: feed it raw bytes as they arrive so parsing overlaps the transfer, then call
 * `end()` for the decoded document (the root element's value, keyed by its local name).
 */
export class VimDecoder {
  private readonly parser: XmlScanner;
  private readonly utf8 = new StringDecoder('utf8');
  /** Open elements, the document's root frame first; frames past `depth` are spares. */
  private readonly frames: Frame[] = [newFrame('#root')];
  private depth = 1;
  private readonly stream: VimStream | undefined;
  private readonly prune: Pruning | undefined;
  private readonly maxTreeBytes: number;
  private treeBytes = 0;
  private rootName: string | undefined;
  private rootValue: VimValue | undefined;
  private error: Error | undefined;
  /** An exception of the stream's consumer: passed through as is, not as a protocol error. */
  private itemError: unknown;

  constructor(opts: VimDecoderOptions = {}) {
    this.stream = opts.stream;
    this.prune = opts.stream?.prune;
    this.maxTreeBytes = opts.maxTreeBytes ?? DEFAULT_MAX_TREE_BYTES;
    this.parser = new XmlScanner({
      open: (qname, type, xsiQName) => this.open(qname, type, xsiQName),
      text: (text) => {
        const top = this.frames[this.depth - 1];
        if (top) top.text += text;
      },
      close: () => this.close(),
    });
  }

  /** The filter of the array property whose `val` opens at `depth`, if it is pruned. */
  private pruneFor(depth: number): Keep | null {
    const prop = this.frames[depth - 1]?.obj?.['name'];
    const mo = this.frames[depth - 2]?.obj?.['obj'];
    if (typeof prop !== 'string' || !isMoRef(mo)) return null;
    return this.prune?.get(mo.type)?.get(prop) ?? null;
  }

  private open(qname: string, type: string | undefined, xsiQName: string | undefined): boolean {
    if (this.error) return false;
    const depth = this.depth;
    if (depth > MAX_DEPTH) {
      this.error ??= protocolError(`elements nested deeper than ${MAX_DEPTH}`);
      return false;
    }
    const name = localName(qname);
    const xsiType = xsiQName === undefined ? undefined : internName(localName(xsiQName));
    let moType = type === undefined ? undefined : internName(type);
    if (xsiType === 'ManagedObjectReference' && moType === undefined) moType = '';
    if (this.rootName === undefined) this.rootName = name;
    const isArray = xsiType !== undefined && xsiType.startsWith('ArrayOf');
    const parent = this.frames[depth - 1]!;
    let keep: Keep | null = null;
    if (parent.keep !== null) {
      if (parent.list !== undefined) keep = parent.keep;
      else {
        const k = parent.keep.get(name);
        if (k === undefined) return false;
        keep = k;
      }
    } else if (this.prune !== undefined && isArray && name === 'val') {
      keep = this.pruneFor(depth);
    }
    let f = this.frames[depth];
    if (f === undefined) this.frames.push((f = newFrame(name)));
    f.name = name;
    f.xsiType = xsiType;
    f.moType = moType;
    f.text = '';
    f.obj = undefined;
    f.list = isArray ? [] : undefined;
    f.repeated = undefined;
    f.keep = keep;
    this.depth = depth + 1;
    return true;
  }

  private close(): void {
    if (this.error) return;
    if (this.depth < 2) return;
    const f = this.frames[--this.depth]!;
    const parent = this.frames[this.depth - 1]!;
    const v = frameValue(f);
    if (this.depth === 1) this.rootValue = v;
    else if (
      this.stream !== undefined &&
      this.depth === this.stream.depth &&
      this.stream.names.has(f.name)
    ) {
      this.treeBytes = 0;
      try {
        this.stream.onItem(f.name, v);
      } catch (e) {
        this.itemError = e;
        this.error ??= e instanceof Error ? e : new Error(String(e));
      }
    } else attach(parent, f.name, v);
  }

  write(chunk: Buffer | string): void {
    if (this.error) return;
    this.treeBytes += chunk.length;
    if (this.treeBytes > this.maxTreeBytes) {
      this.error = new AppError(
        'PROTOCOL_ERROR',
        `The server's answer exceeds the ${this.maxTreeBytes}-byte limit.`,
        { reason: 'response too large', limitBytes: this.maxTreeBytes },
      );
      return;
    }
    try {
      this.parser.write(typeof chunk === 'string' ? chunk : this.utf8.write(chunk));
    } catch (e) {
      this.error ??= e instanceof Error ? e : new Error(String(e));
    }
  }

  /** The first failure so far (a caller may stop reading early). */
  get failed(): boolean {
    return this.error !== undefined;
  }

  /** Returns the root element's local name and value; throws PROTOCOL_ERROR on malformed XML. */
  end(): { name: string; value: VimValue } {
    if (!this.error) {
      try {
        this.parser.write(this.utf8.end());
        this.parser.end();
      } catch (e) {
        this.error ??= e instanceof Error ? e : new Error(String(e));
      }
    }
    if (this.itemError !== undefined) throw this.itemError;
    if (this.error instanceof AppError) throw this.error;
    if (this.error || this.rootName === undefined || this.rootValue === undefined) {
      throw protocolError(this.error ? this.error.message : 'empty document');
    }
    return { name: this.rootName, value: this.rootValue };
  }
}

export function decodeXml(
  xml: string | Buffer,
  opts: VimDecoderOptions = {},
): { name: string; value: VimValue } {
  const d = new VimDecoder(opts);
  d.write(xml);
  return d.end();
}
