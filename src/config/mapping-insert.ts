/**
 * Surgical insertion of one mapping into the user's config text (MIDI learn):
 * the new text goes where the mode's mappings are written, in the shape the
 * file already uses (`[[modes.mappings]]` blocks, or an inline
 * `mappings = [...]` array, or a mode that is itself an inline table), and
 * every other byte of the file, comments included, stays as it was. The file
 * is never re-serialised. The caller validates the result before writing it.
 */
import { parse, TomlError } from 'smol-toml';
import { MidimonError } from '../errors.js';
import { TomlLocator, type KeyPath, type TomlStatement } from './toml-locate.js';
import { tomlInline, tomlKey } from './toml-inline.js';

/** A mode by name, or the global mappings that fire in every mode. */
export type MappingTarget = { readonly mode: string } | { readonly global: true };

export interface NewMapping {
  readonly description?: string;
  readonly trigger: Readonly<Record<string, unknown>>;
  readonly action: Readonly<Record<string, unknown>>;
}

export interface InsertResult {
  readonly text: string;
  /** Position of the new mapping in its list (0-based). */
  readonly index: number;
  /** Mode name, or null for global mappings. */
  readonly mode: string | null;
  /** 1-based line where the inserted text starts. */
  readonly line: number;
  /** The inserted text, as written (without the surrounding line breaks). */
  readonly inserted: string;
}

/** The mapping as `[[modes.mappings]]` (or `[[global_mappings]]`) block lines. */
export function mappingBlock(header: string, m: NewMapping): string[] {
  return [`[[${header}]]`, ...mappingFields(m).map(([k, v]) => `${k} = ${v}`)];
}

/** The mapping as one inline table. */
export function mappingInline(m: NewMapping): string {
  return `{ ${mappingFields(m)
    .map(([k, v]) => `${k} = ${v}`)
    .join(', ')} }`;
}

function mappingFields(m: NewMapping): Array<[string, string]> {
  return [...(m.description === undefined ? [] : [['description', tomlInline(m.description)] as [string, string]]), ['trigger', tomlInline(m.trigger)], ['action', tomlInline(m.action)]];
}

export function insertMapping(text: string, target: MappingTarget, mapping: NewMapping): InsertResult {
  let raw: Record<string, unknown>;
  try {
    raw = parse(text) as Record<string, unknown>;
  } catch (err) {
    if (err instanceof TomlError) throw new MidimonError('config_parse', `the config file does not parse (line ${err.line}): fix it before adding a mapping`, { details: { line: err.line, column: err.column } });
    throw err;
  }
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const loc = new TomlLocator(text);
  const edit = new Editor(text, eol);

  if ('mode' in target) {
    const modes = Array.isArray(raw['modes']) ? (raw['modes'] as Array<Record<string, unknown>>) : [];
    const i = modes.findIndex((m) => m['name'] === target.mode);
    if (i < 0) {
      const names = modes.map((m) => String(m['name']));
      throw new MidimonError('not_found', `no mode named '${target.mode}' in the config file (modes: ${names.join(', ') || 'none'})`, { details: { mode: target.mode, modes: names } });
    }
    const count = Array.isArray(modes[i]?.['mappings']) ? (modes[i]?.['mappings'] as unknown[]).length : 0;
    const done = insertInto(edit, loc, ['modes', i], 'mappings', 'modes.mappings', count, mapping);
    return { ...done, index: count, mode: target.mode };
  }
  const count = Array.isArray(raw['global_mappings']) ? raw['global_mappings'].length : 0;
  const done = insertInto(edit, loc, [], 'global_mappings', 'global_mappings', count, mapping);
  return { ...done, index: count, mode: null };
}

function insertInto(edit: Editor, loc: TomlLocator, owner: KeyPath, key: string, header: string, count: number, mapping: NewMapping): Omit<InsertResult, 'index' | 'mode'> {
  const arrayPath = [...owner, key];
  // `mappings = [ ... ]`: a new element before the closing bracket.
  const inline = loc.valueSpan(arrayPath);
  if (inline !== undefined) return edit.appendToArray(inline.end, count === 0 ? undefined : loc.valueSpan([...arrayPath, count - 1])?.end, mappingInline(mapping));
  // `[[modes.mappings]]` blocks: after the last one's last line.
  if (count > 0) {
    const end = sectionEnd(loc.statements, [...arrayPath, count - 1]);
    if (end !== undefined) return edit.blockAfter(end, mappingBlock(header, mapping));
  }
  // No mappings yet. A mode written as an inline table gets a `mappings` key.
  const ownerSpan = owner.length === 0 ? undefined : loc.valueSpan(owner);
  if (ownerSpan !== undefined) return edit.keyIntoInlineTable(ownerSpan.end, `${tomlKey(key)} = [${mappingInline(mapping)}]`);
  const end = owner.length === 0 ? edit.length : sectionEnd(loc.statements, owner);
  if (end === undefined) throw new MidimonError('internal', `cannot find where ${header} is written in the config file`);
  return edit.blockAfter(end, mappingBlock(header, mapping));
}

function startsWith(path: KeyPath, prefix: KeyPath): boolean {
  return prefix.length <= path.length && prefix.every((p, i) => path[i] === p);
}

function samePath(a: KeyPath, b: KeyPath): boolean {
  return a.length === b.length && startsWith(a, b);
}

/** End of the last statement of the table opened by the header at `table`, up to the next header outside it. */
function sectionEnd(statements: readonly TomlStatement[], table: KeyPath): number | undefined {
  const at = statements.findIndex((s) => s.kind !== 'keyvalue' && samePath(s.path, table));
  if (at < 0) return undefined;
  let end = (statements[at] as TomlStatement).end;
  for (const s of statements.slice(at + 1)) {
    if (s.kind !== 'keyvalue' && !startsWith(s.path, table)) break;
    end = s.end;
  }
  return end;
}

/** Applies one insertion to the text, in its line-ending style. */
class Editor {
  readonly #text: string;
  readonly #eol: string;

  constructor(text: string, eol: string) {
    this.#text = text;
    this.#eol = eol;
  }

  get length(): number {
    return this.#text.length;
  }

  /**
   * A block of lines after the line that holds `end` (a trailing comment there
   * stays on its line), set off by blank lines. Comment lines that follow
   * stay before it, except a comment block sitting right on top of the next
   * header: that one introduces the next section and stays with it.
   */
  blockAfter(end: number, lines: string[]): Omit<InsertResult, 'index' | 'mode'> {
    const s = this.#text;
    const eol = this.#eol;
    const body = lines.join(eol);
    const nl = s.indexOf('\n', end);
    if (nl < 0) {
      // The statement is on the file's last line, without a line break.
      return this.#result(s.length, `${eol}${eol}${body}${eol}`, s.length + 2 * eol.length, body);
    }
    let q = nl + 1;
    let attached = -1;
    while (q < s.length) {
      const lineEnd = s.indexOf('\n', q);
      const line = s.slice(q, lineEnd < 0 ? s.length : lineEnd).trim();
      if (line === '') attached = -1;
      else if (line.startsWith('#')) attached = attached < 0 ? q : attached;
      else break;
      q = lineEnd < 0 ? s.length : lineEnd + 1;
    }
    const at = q >= s.length ? s.length : attached >= 0 ? attached : q;
    const unterminated = at === s.length && !s.endsWith('\n');
    const previous = at === nl + 1 ? 'statement' : s.slice(s.lastIndexOf('\n', at - 2) + 1, unterminated ? at : at - 1).trim();
    const before = `${unterminated ? eol : ''}${previous === '' ? '' : eol}`;
    const insert = `${before}${body}${eol}${at < s.length ? eol : ''}`;
    return this.#result(at, insert, at + before.length, body);
  }

  /** A new last element of the array ending at `arrayEnd` (just past its `]`); `lastEnd` ends the current last element. */
  appendToArray(arrayEnd: number, lastEnd: number | undefined, element: string): Omit<InsertResult, 'index' | 'mode'> {
    const s = this.#text;
    const close = arrayEnd - 1;
    const lineStart = s.lastIndexOf('\n', close - 1) + 1;
    const closeOnOwnLine = /^[ \t]*$/.test(s.slice(lineStart, close));
    const comma = lastEnd === undefined ? -1 : this.#commaAfter(lastEnd, close);
    if (closeOnOwnLine) {
      // Multi-line array: the element gets its own line, indented like the one before it (or two more than the bracket).
      const ref = lastEnd === undefined ? undefined : s.slice(s.lastIndexOf('\n', lastEnd - 1) + 1, lastEnd);
      const indent = ref === undefined ? `${/^[ \t]*/.exec(s.slice(lineStart, close))?.[0] ?? ''}  ` : (/^[ \t]*/.exec(ref)?.[0] ?? '');
      const insert = `${indent}${element},${this.#eol}`;
      if (lastEnd !== undefined && comma < 0) {
        // The old last element needs its comma; it goes straight after it (before any comment on that line).
        const withComma = `${s.slice(0, lastEnd)},${s.slice(lastEnd, lineStart)}${insert}${s.slice(lineStart)}`;
        return { text: withComma, line: lineOf(withComma, lineStart + 1), inserted: `${indent}${element},` };
      }
      return this.#result(lineStart, insert, lineStart, `${indent}${element},`);
    }
    if (lastEnd === undefined) return this.#result(close, element, close, element);
    if (comma >= 0) return this.#result(comma + 1, ` ${element}`, comma + 2, element);
    return this.#result(lastEnd, `, ${element}`, lastEnd + 2, element);
  }

  /** `key = value` as the last key of the inline table ending at `tableEnd` (just past its `}`). */
  keyIntoInlineTable(tableEnd: number, entry: string): Omit<InsertResult, 'index' | 'mode'> {
    const s = this.#text;
    let k = tableEnd - 2;
    while (k >= 0 && /\s/.test(s[k] ?? '')) k--;
    const empty = s[k] === '{';
    const insert = empty ? ` ${entry} ` : `, ${entry}`;
    return this.#result(k + 1, insert, k + (empty ? 2 : 3), entry);
  }

  /** Offset of the comma separating the element ending at `from` from what follows, or -1 (comments skipped). */
  #commaAfter(from: number, limit: number): number {
    const s = this.#text;
    for (let i = from; i < limit; i++) {
      const c = s[i];
      if (c === ',') return i;
      if (c === '#') {
        const nl = s.indexOf('\n', i);
        if (nl < 0) return -1;
        i = nl;
      } else if (c !== ' ' && c !== '\t' && c !== '\r' && c !== '\n') return -1;
    }
    return -1;
  }

  #result(at: number, insert: string, startOfInserted: number, inserted: string): Omit<InsertResult, 'index' | 'mode'> {
    const text = `${this.#text.slice(0, at)}${insert}${this.#text.slice(at)}`;
    return { text, line: lineOf(text, startOfInserted), inserted };
  }
}

function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text[i] === '\n') line++;
  return line;
}
