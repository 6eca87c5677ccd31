/**
 * SysEx patterns (what a `SysEx` trigger matches) and templates (what a
 * SendMidi `message = "sysex"` sends), one token syntax for both:
 *
 *   F0 7E ?? 06 02 $id:2 * F7        (string: tokens separated by spaces)
 *   ["F0", 0x7E, "??", 6, 2, "$id:2", "*", "F7"]   (array: one token each)
 *
 * - `7E`, `0x7E` or a number: exactly that byte (F0 first, F7 last, 00-7F between);
 * - `??`: any one data byte (patterns only);
 * - `$name` / `$name:N`: in a pattern, capture N data bytes (default 1) under
 *   `name`; in a template, insert them (or a trigger value: `$note`,
 *   `$velocity`, `$cc`, `$value`; `$value:2` = 14 bits, MSB first);
 * - `*`: any number of data bytes, at most once (patterns only), so a match
 *   is a fixed head and a fixed tail: linear in the pattern, never in the dump.
 *
 * Parsing is pure and memoized per config object (the config is immutable
 * once loaded), so the schema validates with the same code the engine runs.
 */

export type SysexSpec = string | ReadonlyArray<string | number>;

export type SysexToken =
  | { readonly kind: 'byte'; readonly value: number }
  | { readonly kind: 'any' }
  | { readonly kind: 'capture'; readonly name: string; readonly length: number; readonly explicit: boolean };

export interface SysexPattern {
  readonly head: readonly SysexToken[];
  /** Tokens after `*`; null when the pattern has no `*` (then the length is exact). */
  readonly tail: readonly SysexToken[] | null;
  readonly headLength: number;
  readonly tailLength: number;
  /** Capture name -> its length, in pattern order. */
  readonly captures: ReadonlyMap<string, number>;
}

export interface SysexTemplate {
  readonly tokens: readonly SysexToken[];
}

/** A token that cannot be parsed: `index` is its 0-based position (the array index in the array form). */
export class SysexSyntaxError extends Error {
  readonly index: number;
  readonly arrayForm: boolean;
  constructor(message: string, index: number, arrayForm: boolean) {
    super(message);
    this.index = index;
    this.arrayForm = arrayForm;
  }
}

/** Values a trigger can hand to a template, besides the captures of a SysEx trigger. */
export const SYSEX_TRIGGER_VALUES = ['note', 'velocity', 'cc', 'value'] as const;
export type SysexTriggerValue = (typeof SYSEX_TRIGGER_VALUES)[number];

const MAX_CAPTURE = 64;
const MAX_VALUE_BYTES = 4;
const NAME = /^[a-z_][a-z0-9_]{0,31}$/;

interface RawToken {
  readonly text: string;
  readonly number: number | null;
  readonly index: number;
}

function tokensOf(spec: SysexSpec): { tokens: RawToken[]; arrayForm: boolean } {
  if (typeof spec === 'string') {
    const words = spec.trim().split(/\s+/).filter((w) => w.length > 0);
    return { tokens: words.map((text, index) => ({ text, number: null, index })), arrayForm: false };
  }
  return { tokens: spec.map((t, index) => (typeof t === 'number' ? { text: String(t), number: t, index } : { text: t.trim(), number: null, index })), arrayForm: true };
}

function where(t: RawToken, arrayForm: boolean): string {
  return arrayForm ? `element ${t.index} (${JSON.stringify(t.number ?? t.text)})` : `token ${t.index + 1} "${t.text}"`;
}

function parseToken(t: RawToken, arrayForm: boolean, allowWild: boolean): SysexToken | '*' {
  const fail = (why: string): never => {
    throw new SysexSyntaxError(`${where(t, arrayForm)}: ${why}`, t.index, arrayForm);
  };
  if (t.number !== null) {
    if (!Number.isInteger(t.number) || t.number < 0 || t.number > 255) fail('a byte must be a whole number 0-255 (0x00-0xFF)');
    return { kind: 'byte', value: t.number };
  }
  const s = t.text;
  if (s === '??' || s === '*') {
    if (!allowWild) fail(`"${s}" only matches incoming SysEx; a message to send needs exact bytes or $values`);
    return s === '*' ? '*' : { kind: 'any' };
  }
  if (s.startsWith('$')) {
    const m = /^\$([^:]*)(?::(.*))?$/.exec(s) as RegExpExecArray;
    const name = m[1] ?? '';
    if (!NAME.test(name)) fail('a $name is lowercase letters, digits and _ (e.g. $id, $patch_no), starting with a letter or _');
    let length = 1;
    if (m[2] !== undefined) {
      if (!/^\d+$/.test(m[2])) fail(`the length after ":" must be a whole number of bytes (e.g. $${name}:2)`);
      length = Number(m[2]);
      if (length < 1 || length > MAX_CAPTURE) fail(`a capture is 1-${MAX_CAPTURE} bytes long`);
    }
    return { kind: 'capture', name, length, explicit: m[2] !== undefined };
  }
  const hex = /^(?:0x)?([0-9a-f]{1,2})$/i.exec(s);
  if (hex === null) fail(`expected a hex byte (7E or 0x7E)${allowWild ? ', ?? (any byte), * (any bytes)' : ''} or a $name`);
  return { kind: 'byte', value: parseInt((hex as RegExpExecArray)[1] as string, 16) };
}

/** Common checks: F0 first, F7 last, data bytes between. */
function frame(parsed: Array<{ tok: SysexToken | '*'; raw: RawToken }>, arrayForm: boolean, spec: SysexSpec, what: string): void {
  const first = parsed[0];
  const last = parsed[parsed.length - 1];
  if (first === undefined || last === undefined || parsed.length < 2) {
    throw new SysexSyntaxError(`${what} needs at least F0 and F7 (got ${JSON.stringify(spec)})`, 0, arrayForm);
  }
  if (first.tok === '*' || first.tok.kind !== 'byte' || first.tok.value !== 0xf0) throw new SysexSyntaxError(`${where(first.raw, arrayForm)}: a SysEx ${what} starts with F0`, first.raw.index, arrayForm);
  if (last.tok === '*' || last.tok.kind !== 'byte' || last.tok.value !== 0xf7) throw new SysexSyntaxError(`${where(last.raw, arrayForm)}: a SysEx ${what} ends with F7`, last.raw.index, arrayForm);
  for (const p of parsed.slice(1, -1)) {
    if (p.tok !== '*' && p.tok.kind === 'byte' && p.tok.value > 0x7f) {
      throw new SysexSyntaxError(`${where(p.raw, arrayForm)}: between F0 and F7 only data bytes 00-7F may appear`, p.raw.index, arrayForm);
    }
  }
}

const patternCache = new WeakMap<object, SysexPattern>();
const templateCache = new WeakMap<object, SysexTemplate>();
const stringPatterns = new Map<string, SysexPattern>();
const stringTemplates = new Map<string, SysexTemplate>();

function cached<T>(spec: SysexSpec, objects: WeakMap<object, T>, strings: Map<string, T>, make: () => T): T {
  if (typeof spec === 'string') {
    let v = strings.get(spec);
    if (v === undefined) {
      v = make();
      if (strings.size > 1000) strings.clear(); // configs are small; bound it anyway
      strings.set(spec, v);
    }
    return v;
  }
  let v = objects.get(spec);
  if (v === undefined) objects.set(spec, (v = make()));
  return v;
}

/** Parses a trigger pattern; throws SysexSyntaxError. */
export function parseSysexPattern(spec: SysexSpec): SysexPattern {
  return cached(spec, patternCache, stringPatterns, () => {
    const { tokens, arrayForm } = tokensOf(spec);
    const parsed = tokens.map((raw) => ({ tok: parseToken(raw, arrayForm, true), raw }));
    frame(parsed, arrayForm, spec, 'pattern');
    const head: SysexToken[] = [];
    let tail: SysexToken[] | null = null;
    const captures = new Map<string, number>();
    for (const { tok, raw } of parsed) {
      if (tok === '*') {
        if (tail !== null) throw new SysexSyntaxError(`${where(raw, arrayForm)}: only one * per pattern (it matches any number of bytes)`, raw.index, arrayForm);
        tail = [];
        continue;
      }
      if (tok.kind === 'capture') {
        if (captures.has(tok.name)) throw new SysexSyntaxError(`${where(raw, arrayForm)}: capture $${tok.name} is already used in this pattern`, raw.index, arrayForm);
        if ((SYSEX_TRIGGER_VALUES as readonly string[]).includes(tok.name)) {
          throw new SysexSyntaxError(`${where(raw, arrayForm)}: $${tok.name} is a trigger value name; call the capture something else`, raw.index, arrayForm);
        }
        captures.set(tok.name, tok.length);
      }
      (tail ?? head).push(tok);
    }
    return { head, tail, headLength: width(head), tailLength: tail === null ? 0 : width(tail), captures };
  });
}

/** Parses a SendMidi sysex template; throws SysexSyntaxError. */
export function parseSysexTemplate(spec: SysexSpec): SysexTemplate {
  return cached(spec, templateCache, stringTemplates, () => {
    const { tokens, arrayForm } = tokensOf(spec);
    const parsed = tokens.map((raw) => ({ tok: parseToken(raw, arrayForm, false), raw }));
    frame(parsed, arrayForm, spec, 'message');
    for (const { tok, raw } of parsed) {
      if (tok !== '*' && tok.kind === 'capture' && (SYSEX_TRIGGER_VALUES as readonly string[]).includes(tok.name) && tok.length > MAX_VALUE_BYTES) {
        throw new SysexSyntaxError(`${where(raw, arrayForm)}: a trigger value spans at most ${MAX_VALUE_BYTES} bytes`, raw.index, arrayForm);
      }
    }
    return { tokens: parsed.map((p) => p.tok as SysexToken) };
  });
}

function width(tokens: readonly SysexToken[]): number {
  let n = 0;
  for (const t of tokens) n += t.kind === 'capture' ? t.length : 1;
  return n;
}

/** Matches a whole SysEx message; returns the captures (empty object when the pattern has none), or null. */
export function matchSysex(p: SysexPattern, bytes: readonly number[]): Record<string, number[]> | null {
  const n = bytes.length;
  if (p.tail === null ? n !== p.headLength : n < p.headLength + p.tailLength) return null;
  const captures: Record<string, number[]> = {};
  if (!matchAt(p.head, bytes, 0, captures)) return null;
  if (p.tail !== null && !matchAt(p.tail, bytes, n - p.tailLength, captures)) return null;
  return captures;
}

function matchAt(tokens: readonly SysexToken[], bytes: readonly number[], start: number, captures: Record<string, number[]>): boolean {
  let i = start;
  for (const t of tokens) {
    if (t.kind === 'byte') {
      if (bytes[i] !== t.value) return false;
      i++;
    } else if (t.kind === 'any') {
      if ((bytes[i] as number) > 0x7f) return false;
      i++;
    } else {
      const got = bytes.slice(i, i + t.length) as number[];
      for (const b of got) if (b > 0x7f) return false;
      captures[t.name] = got;
      i += t.length;
    }
  }
  return true;
}

/** What a template can draw on when it is rendered. */
export interface SysexValues {
  readonly captures: Readonly<Record<string, readonly number[]>> | null;
  readonly note: number | null;
  readonly velocity: number | null;
  readonly cc: number | null;
  readonly value: number | null;
}

/** The bytes to send, or why not (a value out of the 0-127 data range, or not provided by the trigger). */
export function renderSysex(t: SysexTemplate, v: SysexValues): { bytes: number[] } | { error: string } {
  const out: number[] = [];
  for (const tok of t.tokens) {
    if (tok.kind === 'byte') {
      out.push(tok.value);
      continue;
    }
    if (tok.kind !== 'capture') continue; // templates hold no wildcards (parse refuses them)
    const captured = v.captures?.[tok.name];
    if (captured !== undefined) {
      if (tok.explicit && captured.length !== tok.length) return { error: `$${tok.name}:${tok.length}: the trigger captured ${captured.length} bytes` };
      for (const b of captured) out.push(b);
      continue;
    }
    if (!(SYSEX_TRIGGER_VALUES as readonly string[]).includes(tok.name)) return { error: `$${tok.name}: the trigger captured no such value` };
    const value = v[tok.name as SysexTriggerValue];
    if (value === null) return { error: `$${tok.name}: the trigger has no ${tok.name}` };
    const max = 2 ** (7 * tok.length) - 1;
    if (!Number.isInteger(value) || value < 0 || value > max) {
      return { error: `$${tok.name}${tok.explicit ? `:${tok.length}` : ''} = ${value} does not fit ${tok.length} data byte${tok.length === 1 ? '' : 's'} (0-${max})` };
    }
    for (let k = tok.length - 1; k >= 0; k--) out.push((value >> (7 * k)) & 0x7f);
  }
  return { bytes: out };
}

/** Short text of a pattern for the status screen ("SysEx F0 7E ?? 06 02 …"). */
export function describeSysex(spec: SysexSpec, max = 5): string {
  const words = typeof spec === 'string' ? spec.trim().split(/\s+/) : spec.map((t) => (typeof t === 'number' ? t.toString(16).toUpperCase().padStart(2, '0') : t));
  return words.length <= max ? words.join(' ') : `${words.slice(0, max).join(' ')} …`;
}

/**
 * A SysEx message as the engine accepts it: F0, data bytes 00-7F, F7. RtMidi
 * and the input reassembly deliver whole messages; anything else (a chunk, a
 * status byte inside) is malformed.
 */
export function isWholeSysex(bytes: readonly number[]): boolean {
  const n = bytes.length;
  if (n < 2 || bytes[0] !== 0xf0 || bytes[n - 1] !== 0xf7) return false;
  for (let i = 1; i < n - 1; i++) if ((bytes[i] as number) > 0x7f || (bytes[i] as number) < 0) return false;
  return true;
}
