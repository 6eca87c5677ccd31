/**
 * Best-effort map from key paths (`modes[1].mappings[0].trigger`) to where
 * they are written in a TOML document, so schema errors can say a line. Runs
 * only on documents smol-toml already parsed, so it only has to recognise
 * structure (headers, keys, strings, brackets), not validate. Anything it
 * cannot place falls back to the nearest written ancestor.
 */

export type KeyPath = readonly (string | number)[];
export interface SourcePosition {
  readonly line: number;
  readonly column: number;
}

/**
 * One top-level statement in document order, with byte offsets into the
 * source: a `[table]`/`[[array]]` header (`path` is the table it opens) or a
 * `key = value` line (`path` is the full key path). `end` is just past the
 * value (or the header's closing brackets), before any trailing comment.
 * Used by surgical edits (src/config/mapping-insert.ts).
 */
export interface TomlStatement {
  readonly kind: 'header' | 'array-header' | 'keyvalue';
  readonly path: KeyPath;
  readonly start: number;
  readonly end: number;
}

export function pathKey(path: KeyPath): string {
  return path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`)).join('');
}

export class TomlLocator {
  readonly #src: string;
  readonly #lineStarts: number[] = [0];
  readonly #positions = new Map<string, number>();
  /** Current element count of each array of tables, by path key. */
  readonly #arrayTables = new Map<string, number>();
  /** End offset of each value (key/value statements, inline table keys, array elements), by path key. */
  readonly #ends = new Map<string, number>();
  readonly #statements: TomlStatement[] = [];
  #p = 0;

  constructor(source: string) {
    this.#src = source;
    for (let i = 0; i < source.length; i++) if (source[i] === '\n') this.#lineStarts.push(i + 1);
    try {
      this.#document();
    } catch {
      // A scanner slip only costs line numbers, never the validation itself.
    }
  }

  /** Position of the path, or of its nearest ancestor written in the file. */
  locate(path: KeyPath): SourcePosition | undefined {
    for (let n = path.length; n > 0; n--) {
      const at = this.#positions.get(pathKey(path.slice(0, n)));
      if (at !== undefined) return this.#toPosition(at);
    }
    return undefined;
  }

  /** Where the value at exactly this path is written (`start` at its key or first character, `end` just past it). */
  valueSpan(path: KeyPath): { start: number; end: number } | undefined {
    const k = pathKey(path);
    const start = this.#positions.get(k);
    const end = this.#ends.get(k);
    return start === undefined || end === undefined ? undefined : { start, end };
  }

  /** Headers and top-level key/value statements, in document order. */
  get statements(): readonly TomlStatement[] {
    return this.#statements;
  }

  #toPosition(offset: number): SourcePosition {
    let lo = 0;
    let hi = this.#lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.#lineStarts[mid] ?? 0) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - (this.#lineStarts[lo] ?? 0) + 1 };
  }

  #mark(path: KeyPath, at: number): void {
    const k = pathKey(path);
    if (!this.#positions.has(k)) this.#positions.set(k, at);
  }

  #document(): void {
    let table: (string | number)[] = [];
    const s = this.#src;
    while (this.#p < s.length) {
      this.#skipSpace(true);
      if (this.#p >= s.length) break;
      const start = this.#p;
      if (s[this.#p] === '[') {
        const isArray = s[this.#p + 1] === '[';
        this.#p += isArray ? 2 : 1;
        const keys = this.#keys();
        this.#p += isArray ? 2 : 1;
        table = this.#resolve(keys, isArray);
        this.#mark(table, start);
        this.#statements.push({ kind: isArray ? 'array-header' : 'header', path: table, start, end: this.#p });
      } else {
        const keys = this.#keys();
        const path = [...table, ...keys];
        this.#markKeys(table, keys, start);
        this.#skipSpace(false);
        if (s[this.#p] === '=') this.#p++;
        this.#skipSpace(false);
        this.#value(path);
        const end = this.#endOfValue();
        this.#ends.set(pathKey(path), end);
        this.#statements.push({ kind: 'keyvalue', path, start, end });
      }
      this.#skipToLineEnd();
    }
  }

  /** A header's keys step through arrays of tables to their latest element. */
  #resolve(keys: string[], isArray: boolean): (string | number)[] {
    const out: (string | number)[] = [];
    keys.forEach((key, i) => {
      out.push(key);
      const k = pathKey(out);
      if (i === keys.length - 1 && isArray) {
        const next = (this.#arrayTables.get(k) ?? -1) + 1;
        this.#arrayTables.set(k, next);
        out.push(next);
      } else {
        const current = this.#arrayTables.get(k);
        if (current !== undefined) out.push(current);
      }
    });
    return out;
  }

  #markKeys(base: KeyPath, keys: string[], at: number): void {
    for (let i = 1; i <= keys.length; i++) this.#mark([...base, ...keys.slice(0, i)], at);
  }

  #keys(): string[] {
    const s = this.#src;
    const keys: string[] = [];
    for (;;) {
      this.#skipSpace(false);
      const c = s[this.#p];
      if (c === '"' || c === "'") {
        const start = this.#p;
        this.#string();
        const raw = s.slice(start, this.#p);
        keys.push(c === '"' ? safeJson(raw) : raw.slice(1, -1));
      } else {
        const m = /^[A-Za-z0-9_-]+/.exec(s.slice(this.#p, this.#p + 256));
        if (m === null) break;
        keys.push(m[0]);
        this.#p += m[0].length;
      }
      this.#skipSpace(false);
      if (s[this.#p] !== '.') break;
      this.#p++;
    }
    return keys;
  }

  #value(path: KeyPath): void {
    const s = this.#src;
    const c = s[this.#p];
    if (c === '"' || c === "'") return this.#string();
    if (c === '[') {
      this.#p++;
      for (let i = 0; this.#p < s.length; i++) {
        this.#skipSpace(true);
        if (s[this.#p] === ']') break;
        this.#mark([...path, i], this.#p);
        this.#value([...path, i]);
        this.#ends.set(pathKey([...path, i]), this.#endOfValue());
        this.#skipSpace(true);
        if (s[this.#p] === ',') this.#p++;
        else break;
      }
      this.#skipSpace(true);
      if (s[this.#p] === ']') this.#p++;
      return;
    }
    if (c === '{') {
      this.#p++;
      while (this.#p < s.length) {
        this.#skipSpace(false);
        if (s[this.#p] === '}') break;
        const start = this.#p;
        const keys = this.#keys();
        if (keys.length === 0) break;
        this.#markKeys(path, keys, start);
        this.#skipSpace(false);
        if (s[this.#p] === '=') this.#p++;
        this.#skipSpace(false);
        this.#value([...path, ...keys]);
        this.#ends.set(pathKey([...path, ...keys]), this.#endOfValue());
        this.#skipSpace(false);
        if (s[this.#p] === ',') this.#p++;
      }
      if (s[this.#p] === '}') this.#p++;
      return;
    }
    while (this.#p < s.length && !',]}\n#'.includes(s[this.#p] ?? '')) this.#p++;
  }

  #string(): void {
    const s = this.#src;
    const q = s[this.#p] ?? '"';
    if (s.startsWith(q.repeat(3), this.#p)) {
      const end = s.indexOf(q.repeat(3), this.#p + 3);
      this.#p = end < 0 ? s.length : end + 3;
      while (s[this.#p] === q) this.#p++; // up to two quotes may end the content
      return;
    }
    this.#p++;
    while (this.#p < s.length && s[this.#p] !== q && s[this.#p] !== '\n') {
      if (q === '"' && s[this.#p] === '\\') this.#p++;
      this.#p++;
    }
    this.#p++;
  }

  /** The scanner stands just past a value; a bare value may have swallowed trailing blanks. */
  #endOfValue(): number {
    let end = this.#p;
    while (end > 0 && ' \t\r'.includes(this.#src[end - 1] ?? '')) end--;
    return end;
  }

  #skipSpace(newlines: boolean): void {
    const s = this.#src;
    while (this.#p < s.length) {
      const c = s[this.#p];
      if (c === ' ' || c === '\t' || c === '\r' || (newlines && c === '\n')) this.#p++;
      else if (newlines && c === '#') this.#skipToLineEnd();
      else break;
    }
  }

  #skipToLineEnd(): void {
    const end = this.#src.indexOf('\n', this.#p);
    this.#p = end < 0 ? this.#src.length : end + 1;
  }
}

function safeJson(raw: string): string {
  try {
    return JSON.parse(raw) as string;
  } catch {
    return raw.slice(1, -1);
  }
}
