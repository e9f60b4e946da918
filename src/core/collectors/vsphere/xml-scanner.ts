/**
 * A small, strict, streaming XML scanner for vim25 answers: elements, attributes, text, character
 * and the five predefined entity references, CDATA, comments and processing instructions. No
 * DTD (a DOCTYPE is refused, so no entity expansion), no namespaces (names stay qualified).
 *
 * Why not saxes: on a 141 MB RetrievePropertiesEx answer saxes alone takes ~1.2 s of a sync's
 * CPU, checking every character of every name against the XML name tables. This scanner finds
 * markup with indexOf and slices, ~4x faster, and still rejects what is not well-formed in ways
 * that matter here: mismatched or unclosed tags, junk outside the root, malformed attributes,
 * unknown entities, bad character references. Input may be split anywhere between writes.
 */

export interface XmlHandler {
  /**
   * `type` is the `type` attribute (a moref's type); `xsiType` any `*:type` attribute. Returning
   * false skips the element: no text, no close and nothing inside it reaches the handler, though
   * all of it is still checked.
   */
  open(name: string, type: string | undefined, xsiType: string | undefined): boolean;
  text(text: string): void;
  close(): void;
}

export class XmlSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'XmlSyntaxError';
  }
}

/** Longest single tag, comment or CDATA section accepted (vim25 tags are tiny). */
const MAX_MARKUP = 4 * 1024 * 1024;
/**
 * Deepest nesting accepted. The decoder stops far earlier at what it builds; this bounds what it
 * skips, whose names the scanner still stacks to match the closing tags.
 */
const MAX_NESTING = 1024;
/** Slots of the element-name table (a power of two). */
const NAME_SLOTS = 1024;
/** Longest entity or character reference (`&#x10FFFF;`). */
const MAX_REFERENCE = 12;

const GT = 0x3e; // >
const SLASH = 0x2f;
const BANG = 0x21;
const QMARK = 0x3f;
const EQ = 0x3d;
const QUOT = 0x22;
const APOS = 0x27;

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/**
 * The end of the name starting at `i`: the first character that is not a name character. Every
 * character that ends a name (space, `/`, `>`, `=`, quotes, `<`, `&`) is at most `>` (0x3e), and
 * of those only `-` `.` `0-9` `:` belong to names, so most characters take one comparison.
 */
function nameEnd(s: string, i: number, n: number): number {
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c > GT || (c >= 0x2d && c <= 0x3a && c !== SLASH)) continue;
    break;
  }
  return i;
}

/** Whether s[from, to) equals `word` (without slicing). */
function equalsAt(s: string, from: number, to: number, word: string): boolean {
  return to - from === word.length && s.startsWith(word, from);
}

/** A name is s[from, to): not empty, and starting with a letter, `_`, `:` or non-ASCII. */
function checkName(s: string, from: number, to: number): void {
  if (to <= from) throw new XmlSyntaxError('empty name');
  const c = s.charCodeAt(from);
  if (!(
    (c >= 0x41 && c <= 0x5a) ||
    (c >= 0x61 && c <= 0x7a) ||
    c === 0x5f ||
    c === 0x3a ||
    c > 0x7f
  )) {
    throw new XmlSyntaxError(
      `invalid name ${JSON.stringify(s.slice(from, Math.min(to, from + 40)))}`,
    );
  }
}

const NAMED: Readonly<Record<string, string>> = {
  lt: '<',
  gt: '>',
  amp: '&',
  quot: '"',
  apos: "'",
};

/** Decodes the entity and character references of `s` (which holds no markup). */
export function decodeEntities(s: string): string {
  let amp = s.indexOf('&');
  if (amp < 0) return s;
  let out = '';
  let from = 0;
  while (amp >= 0) {
    const semi = s.indexOf(';', amp + 1);
    if (semi < 0 || semi - amp > MAX_REFERENCE)
      throw new XmlSyntaxError('unterminated entity reference');
    const ref = s.slice(amp + 1, semi);
    let rep: string | undefined;
    if (ref.charCodeAt(0) === 0x23 /* # */) {
      const hex = ref.charCodeAt(1) === 0x78; /* x */
      const digits = ref.slice(hex ? 2 : 1);
      if (!(hex ? /^[0-9a-fA-F]+$/ : /^[0-9]+$/).test(digits)) {
        throw new XmlSyntaxError('malformed character reference');
      }
      const cp = parseInt(digits, hex ? 16 : 10);
      // XML Char: #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]
      const ok =
        cp === 0x9 ||
        cp === 0xa ||
        cp === 0xd ||
        (cp >= 0x20 && cp <= 0xd7ff) ||
        (cp >= 0xe000 && cp <= 0xfffd) ||
        (cp >= 0x10000 && cp <= 0x10ffff);
      if (!ok) throw new XmlSyntaxError(`character reference to an invalid character`);
      rep = String.fromCodePoint(cp);
    } else {
      rep = NAMED[ref];
      if (rep === undefined) throw new XmlSyntaxError(`undefined entity &${ref.slice(0, 20)};`);
    }
    out += s.slice(from, amp) + rep;
    from = semi + 1;
    amp = s.indexOf('&', from);
  }
  return out + s.slice(from);
}

/**
 * Feed text with `write`, then `end()`. Throws {@link XmlSyntaxError} at the first error (and
 * keeps throwing it); handler exceptions pass through.
 */
export class XmlScanner {
  /** Unconsumed input: an incomplete tag or entity reference at the end of the last write. */
  private pending = '';
  /** Open elements' qualified names. */
  private readonly names: string[] = [];
  private sawRoot = false;
  private closedRoot = false;
  private failed: XmlSyntaxError | undefined;
  /** Index of the next `&` in the string being scanned (its length when none): found once. */
  private amp = 0;
  /** While an element the handler skips is open: its depth (names.length); else -1. */
  private skipAt = -1;
  /** Element names seen, by a hash of their length and ends (see nameAt). */
  private readonly recent: (string | undefined)[] = new Array<string | undefined>(NAME_SLOTS);

  constructor(private readonly h: XmlHandler) {}

  write(chunk: string): void {
    if (this.failed) throw this.failed;
    const s = this.pending.length === 0 ? chunk : this.pending + chunk;
    this.pending = '';
    try {
      this.scan(s, false);
    } catch (e) {
      if (e instanceof XmlSyntaxError) this.failed = e;
      throw e;
    }
  }

  end(): void {
    if (this.failed) throw this.failed;
    const s = this.pending;
    this.pending = '';
    try {
      this.scan(s, true);
      if (!this.sawRoot) throw new XmlSyntaxError('no root element');
      if (this.names.length > 0) {
        throw new XmlSyntaxError(`unclosed element <${this.names[this.names.length - 1] ?? ''}>`);
      }
    } catch (e) {
      if (e instanceof XmlSyntaxError) this.failed = e;
      throw e;
    }
  }

  /** Whether s[from, to) holds an `&`. */
  private hasAmp(s: string, from: number, to: number): boolean {
    if (this.amp < from) {
      const a = s.indexOf('&', from);
      this.amp = a < 0 ? s.length : a;
    }
    return this.amp < to;
  }

  /** Text s[from, to): checked, and decoded for the handler unless it is being skipped. */
  private emitText(s: string, from: number, to: number): void {
    if (to <= from) return;
    if (this.names.length === 0) {
      // Outside the root only white space may appear.
      for (let i = from; i < to; i++) {
        if (!isSpace(s.charCodeAt(i))) throw new XmlSyntaxError('text outside the root element');
      }
      return;
    }
    const gt = s.indexOf('>', from);
    if (gt >= 0 && gt < to) {
      const end = s.indexOf(']]>', from);
      if (end >= 0 && end + 3 <= to) throw new XmlSyntaxError(']]> in text');
    }
    const amp = this.hasAmp(s, from, to);
    if (this.skipAt >= 0) {
      if (amp) decodeEntities(s.slice(from, to)); // checks
      return;
    }
    const raw = s.slice(from, to);
    this.h.text(amp ? decodeEntities(raw) : raw);
  }

  private scan(s: string, final: boolean): void {
    const n = s.length;
    let pos = 0;
    this.amp = -1;
    while (pos < n) {
      const lt = s.indexOf('<', pos);
      if (lt < 0) {
        // Text up to the end; keep a trailing, possibly incomplete, entity reference pending.
        const amp = final ? -1 : s.lastIndexOf('&');
        if (amp >= pos && n - amp <= MAX_REFERENCE && s.indexOf(';', amp) < 0) {
          this.emitText(s, pos, amp);
          this.pending = s.slice(amp);
        } else {
          this.emitText(s, pos, n);
        }
        return;
      }
      if (lt > pos) this.emitText(s, pos, lt);
      pos = lt;
      const next = pos + 1 < n ? s.charCodeAt(pos + 1) : -1;
      if (next === -1) {
        if (final) throw new XmlSyntaxError('unexpected end in markup');
        this.pending = s.slice(pos);
        return;
      }
      let end: number;
      if (next === SLASH) end = this.closeTag(s, pos);
      else if (next === BANG) end = this.bang(s, pos, final);
      else if (next === QMARK) end = this.instruction(s, pos);
      else end = this.openTag(s, pos);
      if (end < 0) {
        if (final) throw new XmlSyntaxError('unexpected end in markup');
        // An incomplete tag is scanned again with the next write: bound it, or a hostile
        // endless tag would make every write rescan all of it.
        if (n - pos > MAX_MARKUP) throw new XmlSyntaxError('markup longer than 4 MiB');
        this.pending = s.slice(pos);
        return;
      }
      pos = end;
    }
  }

  /** `</name>`; returns the index after it, or -1 when incomplete. */
  private closeTag(s: string, pos: number): number {
    const gt = s.indexOf('>', pos + 2);
    if (gt < 0) return -1;
    // White space is allowed before the `>`.
    let e = gt;
    while (e > pos + 2 && isSpace(s.charCodeAt(e - 1))) e--;
    const open = this.names.pop();
    if (open === undefined || !equalsAt(s, pos + 2, e, open)) {
      const name = s.slice(pos + 2, Math.min(e, pos + 42));
      throw new XmlSyntaxError(
        open === undefined ? `unexpected </${name}>` : `</${name}> closes <${open.slice(0, 40)}>`,
      );
    }
    this.finish();
    return gt + 1;
  }

  /** After an element's name was popped: tell the handler, unless the element was skipped. */
  private finish(): void {
    const depth = this.names.length;
    if (depth === 0) this.closedRoot = true;
    if (this.skipAt < 0) this.h.close();
    else if (depth < this.skipAt) this.skipAt = -1;
  }

  /** Comments, CDATA; DOCTYPE is refused. Returns -1 when incomplete. */
  private bang(s: string, pos: number, final: boolean): number {
    if (s.startsWith('<!--', pos)) {
      const e = s.indexOf('-->', pos + 4);
      return e < 0 ? -1 : e + 3;
    }
    if (s.startsWith('<![CDATA[', pos)) {
      if (this.names.length === 0) throw new XmlSyntaxError('CDATA outside the root element');
      const e = s.indexOf(']]>', pos + 9);
      if (e < 0) return -1;
      if (e > pos + 9 && this.skipAt < 0) this.h.text(s.slice(pos + 9, e));
      return e + 3;
    }
    // Too short to tell yet?
    if (
      !final &&
      s.length - pos < 9 &&
      ('<![CDATA['.startsWith(s.slice(pos)) || '<!--'.startsWith(s.slice(pos)))
    ) {
      return -1;
    }
    throw new XmlSyntaxError('DOCTYPE or unknown markup declaration is not accepted');
  }

  /** `<?...?>`, skipped. */
  private instruction(s: string, pos: number): number {
    const e = s.indexOf('?>', pos + 2);
    return e < 0 ? -1 : e + 2;
  }

  /** `<name attr="v" ...>` or `<name .../>`; returns the index after it, or -1 if incomplete. */
  private openTag(s: string, pos: number): number {
    const n = s.length;
    let i = nameEnd(s, pos + 1, n);
    if (i >= n) return -1;
    checkName(s, pos + 1, i);
    const nameTo = i;
    let type: string | undefined;
    let xsiType: string | undefined;
    for (;;) {
      let c = s.charCodeAt(i);
      const hadSpace = isSpace(c);
      while (i < n && isSpace(c)) c = s.charCodeAt(++i);
      if (i >= n) return -1;
      if (c === GT || c === SLASH) {
        if (c === SLASH) {
          if (i + 1 >= n) return -1;
          if (s.charCodeAt(i + 1) !== GT) throw new XmlSyntaxError('expected /> ');
        }
        this.start(this.nameAt(s, pos + 1, nameTo), type, xsiType);
        if (c === GT) return i + 1;
        this.names.pop();
        this.finish();
        return i + 2;
      }
      if (!hadSpace) throw new XmlSyntaxError('expected white space between attributes');
      const a = i;
      i = nameEnd(s, i, n);
      if (i >= n) return -1;
      checkName(s, a, i);
      const attrEnd = i;
      c = s.charCodeAt(i);
      while (i < n && isSpace(c)) c = s.charCodeAt(++i);
      if (i >= n) return -1;
      if (c !== EQ) throw new XmlSyntaxError('attribute without a value');
      c = s.charCodeAt(++i);
      while (i < n && isSpace(c)) c = s.charCodeAt(++i);
      if (i >= n) return -1;
      if (c !== QUOT && c !== APOS) throw new XmlSyntaxError('unquoted attribute value');
      const close = s.indexOf(c === QUOT ? '"' : "'", i + 1);
      if (close < 0) return -1;
      const lt = s.indexOf('<', i + 1);
      if (lt >= 0 && lt < close) throw new XmlSyntaxError('< in an attribute value');
      const from = i + 1;
      i = close + 1;
      if (i >= n) return -1;
      const isType = equalsAt(s, a, attrEnd, 'type');
      const isXsiType = !isType && attrEnd - a > 5 && s.startsWith(':type', attrEnd - 5);
      if (this.hasAmp(s, from, close)) {
        const value = decodeEntities(s.slice(from, close)); // checks
        if (isType) type = value;
        else if (isXsiType) xsiType = value;
      } else if (isType) type = s.slice(from, close);
      else if (isXsiType) xsiType = s.slice(from, close);
    }
  }

  /**
   * The element name s[from, to): the string given for the same name before where there is one.
   * A vim25 answer is millions of elements of a few hundred names; slicing each anew allocated a
   * string per element, and the decoder's use of it as a property key hashed each copy again.
   * A small table keyed by length and first and last character, each hit checked in full.
   */
  private nameAt(s: string, from: number, to: number): string {
    const len = to - from;
    const slot = ((len * 31 + s.charCodeAt(from)) * 31 + s.charCodeAt(to - 1)) & (NAME_SLOTS - 1);
    const known = this.recent[slot];
    if (known !== undefined && known.length === len && s.startsWith(known, from)) return known;
    // A copy, not a slice: a slice would pin the whole network chunk it was cut from.
    const name = len < 13 ? s.slice(from, to) : (s.slice(from, to) + ' ').slice(0, -1);
    this.recent[slot] = name;
    return name;
  }

  private start(name: string, type: string | undefined, xsiType: string | undefined): void {
    if (this.names.length === 0) {
      if (this.closedRoot || this.sawRoot) throw new XmlSyntaxError('more than one root element');
      this.sawRoot = true;
    }
    if (this.names.length >= MAX_NESTING) throw new XmlSyntaxError('elements nested too deeply');
    this.names.push(name);
    if (this.skipAt < 0 && !this.h.open(name, type, xsiType)) this.skipAt = this.names.length;
  }
}
