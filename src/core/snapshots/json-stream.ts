import { AppError } from '../../shared/errors.js';
import { MAX_JSON_VALUE, beyondFormat } from './limits.js';

/*
 * Reads a JSON snapshot as it streams, never holding its text: the top-level fields are small and
 * parsed whole; the rows under `entities.<type>` and the items of `relations` are cut out one by
 * one and parsed on their own, so what is held is the parsed rows, not the inflated text, and no
 * single value may pass MAX_JSON_VALUE characters.
 */

export interface JsonSnapshotSink {
  /** A top-level field other than `entities` and `relations`. */
  field(key: string, value: unknown): void;
  /** One row of `entities.<type>`. */
  entity(type: string, row: unknown): void;
  /** One item of `relations`. */
  relation(item: unknown): void;
  /** `entities` or `relations` opened (their items follow). */
  section(key: 'entities' | 'relations'): void;
}

type Level = 'start' | 'top' | 'entities' | 'array' | 'done';
type Expect = 'key' | 'colon' | 'value' | 'comma';

interface Capture {
  buf: string;
  depth: number;
  inString: boolean;
  escape: boolean;
  readonly primitive: boolean;
  readonly done: (text: string) => void;
}

const invalid = (why: string): AppError =>
  new AppError('VALIDATION', `is not an Infrascope JSON snapshot (${why})`);

const parse = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    throw invalid('not JSON');
  }
};

const isSpace = (c: number): boolean => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
const ends = (c: number): boolean => isSpace(c) || c === 0x2c || c === 0x5d || c === 0x7d;

/**
 * Splits the text of a JSON snapshot, fed in chunks, into its fields, rows and relations.
 * Errors are `VALIDATION` (the caller names the file) or `IMPORT_INVALID` past a value's limit.
 */
export class JsonSnapshotSplitter {
  private level: Level = 'start';
  private expect: Expect = 'key';
  /** Whether the array or object just opened may close at once (no item yet). */
  private first = true;
  private key = '';
  /** The type whose rows the open array holds, or null for `relations`. */
  private arrayOf: string | null = null;
  private cap: Capture | null = null;
  private readonly parents: { level: Level; arrayOf: string | null }[] = [];

  constructor(private readonly sink: JsonSnapshotSink) {}

  write(chunk: string): void {
    let i = 0;
    while (i < chunk.length) {
      if (this.cap) {
        i = this.capture(chunk, i);
        continue;
      }
      const c = chunk.charCodeAt(i);
      if (isSpace(c)) {
        i++;
        continue;
      }
      this.step(c);
      if (this.cap) {
        // A value starts here: the capture reads it from its first character.
        i = this.capture(chunk, i);
      } else i++;
    }
  }

  end(): void {
    if (this.cap || this.level !== 'done') throw invalid('it ends early');
  }

  private step(c: number): void {
    const ch = String.fromCharCode(c);
    switch (this.level) {
      case 'start':
        if (ch !== '{') throw invalid('not a JSON object');
        this.open('top');
        return;
      case 'done':
        throw invalid('text after the end');
      case 'array':
        if (this.expect === 'comma') {
          if (ch === ',') this.expect = 'value';
          else if (ch === ']') this.close();
          else throw invalid('expected , or ]');
          return;
        }
        if (ch === ']' && this.first) {
          this.close();
          return;
        }
        this.first = false;
        this.begin(ch, (text) => {
          const v = parse(text);
          if (this.arrayOf === null) this.sink.relation(v);
          else this.sink.entity(this.arrayOf, v);
          this.expect = 'comma';
        });
        return;
      default:
        this.inObject(ch);
    }
  }

  private inObject(ch: string): void {
    switch (this.expect) {
      case 'key':
        if (ch === '}' && this.first) this.close();
        else if (ch === '"') {
          this.first = false;
          this.begin(ch, (text) => {
            this.key = String(parse(text));
            this.expect = 'colon';
          });
        } else throw invalid('expected a key');
        return;
      case 'colon':
        if (ch !== ':') throw invalid('expected :');
        this.expect = 'value';
        return;
      case 'comma':
        if (ch === ',') this.expect = 'key';
        else if (ch === '}') this.close();
        else throw invalid('expected , or }');
        return;
      case 'value': {
        const key = this.key;
        if (this.level === 'top' && key === 'entities' && ch === '{') {
          this.sink.section(key);
          this.open('entities');
        } else if (this.level === 'top' && key === 'relations' && ch === '[') {
          this.sink.section(key);
          this.open('array', null);
        } else if (this.level === 'entities') {
          if (ch !== '[') throw invalid(`entities.${key} is not an array`);
          this.open('array', key);
        } else {
          this.begin(ch, (text) => {
            this.sink.field(key, parse(text));
            this.expect = 'comma';
          });
        }
      }
    }
  }

  private open(level: Level, arrayOf: string | null = null): void {
    this.parents.push({ level: this.level, arrayOf: this.arrayOf });
    this.level = level;
    this.arrayOf = arrayOf;
    this.expect = level === 'array' ? 'value' : 'key';
    this.first = true;
  }

  private close(): void {
    const parent = this.parents.pop()!;
    this.level = parent.level === 'start' ? 'done' : parent.level;
    this.arrayOf = parent.arrayOf;
    this.expect = 'comma';
    this.first = false;
  }

  private begin(ch: string, done: (text: string) => void): void {
    const compound = ch === '{' || ch === '[';
    const primitive = !compound && ch !== '"';
    if (primitive && !/[-0-9tfn]/.test(ch)) throw invalid(`unexpected ${JSON.stringify(ch)}`);
    this.cap = { buf: '', depth: 0, inString: false, escape: false, primitive, done };
  }

  /** Reads the captured value from `start`; returns where reading goes on. */
  private capture(chunk: string, start: number): number {
    const cap = this.cap!;
    for (let j = start; j < chunk.length; j++) {
      const c = chunk.charCodeAt(j);
      if (cap.inString) {
        if (cap.escape) cap.escape = false;
        else if (c === 0x5c) cap.escape = true;
        else if (c === 0x22) {
          cap.inString = false;
          if (cap.depth === 0) return this.complete(chunk, start, j + 1);
        }
      } else if (cap.primitive) {
        if (ends(c)) return this.complete(chunk, start, j);
      } else if (c === 0x22) cap.inString = true;
      else if (c === 0x7b || c === 0x5b) cap.depth++;
      else if (c === 0x7d || c === 0x5d) {
        if (--cap.depth === 0) return this.complete(chunk, start, j + 1);
      }
    }
    cap.buf += chunk.slice(start);
    this.checkSize(cap.buf.length);
    return chunk.length;
  }

  private complete(chunk: string, start: number, end: number): number {
    const text = this.cap!.buf + chunk.slice(start, end);
    this.checkSize(text.length);
    this.finish(text);
    return end;
  }

  private finish(text: string): void {
    const done = this.cap!.done;
    this.cap = null;
    done(text);
  }

  private checkSize(n: number): void {
    if (n > MAX_JSON_VALUE) {
      throw beyondFormat(
        `A single value of the JSON snapshot is longer than ${MAX_JSON_VALUE / 2 ** 20} MiB, more than any snapshot row holds`,
        { limit: 'value', value: MAX_JSON_VALUE },
      );
    }
  }
}
