import type { z } from 'zod';
import type { TomlLocator, KeyPath } from './toml-locate.js';
import type { KeySuggester } from './key-suggest.js';

/**
 * One problem in a config file, phrased for a person at an SSH prompt:
 * where (file, line, column, key path), what was expected, what was found.
 */
export interface ConfigIssue {
  readonly file: string;
  readonly line?: number;
  readonly column?: number;
  /** `modes[2].mappings[0].trigger.note`; empty for file-level problems. */
  readonly path: string;
  readonly message: string;
  readonly expected?: string;
  readonly found?: string;
}

/** `modes[2].mappings[0].trigger.note` */
export function formatPath(path: KeyPath): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else if (/^[A-Za-z0-9_-]+$/.test(p)) out += out === '' ? p : `.${p}`;
    else out += `${out === '' ? '' : '.'}${JSON.stringify(p)}`;
  }
  return out;
}

/** `file:line:col: path: message`, one line per issue, like a compiler. */
export function formatIssue(issue: ConfigIssue): string {
  const where = [issue.file, issue.line, issue.column].filter((x) => x !== undefined).join(':');
  return `${where}: ${issue.path === '' ? '' : `${issue.path}: `}${issue.message}`;
}

/** How a found value is shown: type and value, short. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing (key missing)';
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (value instanceof Date) return `a date ${value.toISOString()}`;
  switch (typeof value) {
    case 'string':
      return `string ${JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value)}`;
    case 'number':
      return Number.isInteger(value) ? `integer ${value}` : `number ${value}`;
    case 'boolean':
      return `boolean ${value}`;
    case 'object':
      return 'a table';
    default:
      return typeof value;
  }
}

const TYPE_NAMES: Record<string, string> = {
  int: 'an integer',
  number: 'a number',
  string: 'a string',
  boolean: 'a boolean (true or false)',
  array: 'an array',
  object: 'a table',
  record: 'a table',
};

type ZodIssue = z.core.$ZodIssue;

/** zod's own wording, as opposed to a message a schema author wrote. */
const DEFAULT_MESSAGE = /^(Invalid input|Too big|Too small|Invalid option|Invalid string|Unrecognized key|Invalid key|Invalid element|Invalid (number|value))/;

function listValues(values: readonly unknown[]): string {
  return values.map((v) => JSON.stringify(v)).join(', ');
}

export interface IssueContext {
  readonly file: string;
  readonly locator: TomlLocator;
  /** The parsed TOML and a suggester: unknown keys then say what is allowed there. */
  readonly raw?: unknown;
  readonly suggester?: KeySuggester;
}

function unknownKeyMessage(ctx: IssueContext, parent: KeyPath, key: string): { message: string; expected: string } {
  const known = ctx.suggester?.knownKeys(ctx.raw, parent);
  if (known === undefined || known.length === 0) return { message: `unknown key '${key}'`, expected: 'one of the documented keys (see midimon config schema)' };
  const expected = `one of ${known.join(', ')}`;
  const guess = ctx.suggester?.suggest(key, known);
  return { message: guess === undefined ? `unknown key '${key}' (allowed here: ${known.join(', ')})` : `unknown key '${key}' (did you mean '${guess}'?)`, expected };
}

/** `mode "Live" mapping 1: ` for a path inside a mode, so an error names the mode, not only its index. */
function modeContext(raw: unknown, path: KeyPath): string {
  if (path[0] !== 'modes' || typeof path[1] !== 'number' || typeof raw !== 'object' || raw === null) return '';
  const modes = (raw as { modes?: unknown }).modes;
  const mode: unknown = Array.isArray(modes) ? modes[path[1]] : undefined;
  const name = typeof mode === 'object' && mode !== null ? (mode as { name?: unknown }).name : undefined;
  if (typeof name !== 'string') return '';
  return path[2] === 'mappings' && typeof path[3] === 'number' ? `mode ${JSON.stringify(name)} mapping ${path[3]}: ` : `mode ${JSON.stringify(name)}: `;
}

/** Turns one zod issue into zero or more config issues (unions are unfolded). */
export function fromZodIssue(issue: ZodIssue, ctx: IssueContext, prefix: KeyPath = []): ConfigIssue[] {
  const { file, locator } = ctx;
  const path = [...prefix, ...issue.path.filter((p): p is string | number => typeof p !== 'symbol')];
  const input = (issue as { input?: unknown }).input;
  const at = (p: KeyPath, message: string, expected?: string, found?: string): ConfigIssue => {
    const pos = locator.locate(p);
    return {
      file,
      ...(pos === undefined ? {} : { line: pos.line, column: pos.column }),
      path: formatPath(p),
      message: `${modeContext(ctx.raw, p)}${message}`,
      ...(expected === undefined ? {} : { expected }),
      ...(found === undefined ? {} : { found }),
    };
  };
  // Schema authors may phrase a rule themselves ("a MIDI note number must be <= 127"): keep their words.
  const custom = DEFAULT_MESSAGE.test(issue.message) ? undefined : issue.message;
  const report = (expected: string, override?: { value: unknown; key: string }) => {
    const value = override === undefined ? input : override.value;
    const key = override === undefined ? path[path.length - 1] : override.key;
    const found = describeValue(value);
    if (value === undefined && typeof key === 'string') return at(path, `missing required key '${key}': expected ${expected}`, expected, found);
    return at(path, `${custom ?? `expected ${expected}`}, found ${found}`, expected, found);
  };

  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((key) => {
        const { message, expected } = unknownKeyMessage(ctx, path, key);
        return at([...path, key], message, expected, `'${key}'`);
      });
    case 'invalid_type':
      return [report(TYPE_NAMES[issue.expected] ?? issue.expected)];
    case 'invalid_value':
      return [report(issue.values.length === 1 ? listValues(issue.values) : `one of ${listValues(issue.values)}`)];
    case 'too_big': {
      const max = String(issue.maximum);
      if (issue.origin === 'array') return [report(`at most ${max} entries`)];
      if (issue.origin === 'string') return [report(`at most ${max} characters`)];
      return [report(`a value ${issue.inclusive === false ? '<' : '<='} ${max}`)];
    }
    case 'too_small': {
      const min = String(issue.minimum);
      if (issue.origin === 'array') return [report(`at least ${min} entries`)];
      if (issue.origin === 'string') return [report(min === '1' ? 'a non-empty string' : `at least ${min} characters`)];
      return [report(`a value ${issue.inclusive === false ? '>' : '>='} ${min}`)];
    }
    case 'invalid_format': {
      const pattern = (issue as { pattern?: string }).pattern;
      return [report(pattern === undefined ? `a ${issue.format}` : `a string matching ${pattern}`)];
    }
    case 'invalid_key': {
      const inner = issue.issues[0];
      const pattern = inner !== undefined && inner.code === 'invalid_format' ? (inner as { pattern?: string }).pattern : undefined;
      const expected = pattern === undefined ? 'a valid name' : `a name matching ${pattern}`;
      return [at(path, `invalid name: expected ${expected}, found ${describeValue(input)}`, expected, describeValue(input))];
    }
    case 'invalid_union': {
      const disc = (issue as { discriminator?: string }).discriminator;
      if (disc !== undefined && issue.errors.length === 0) {
        // No branch matched: the value reported is the discriminator's, not the whole table.
        const value = typeof input === 'object' && input !== null ? (input as Record<string, unknown>)[disc] : undefined;
        const options = (issue as { options?: unknown[] }).options ?? [];
        return [report(`one of ${listValues(options)}`, { value, key: disc })];
      }
      // Report the branch that got furthest (deepest path): the one the user meant.
      const branches = issue.errors.filter((b) => b.length > 0);
      const depth = (b: readonly ZodIssue[]) => Math.max(...b.map((i) => i.path.length));
      const best = branches.sort((a, b) => depth(b) - depth(a))[0];
      if (best !== undefined && depth(best) > 0) return best.flatMap((i) => fromZodIssue(i, ctx, path));
      return [report('one of the allowed forms (see midimon config schema)')];
    }
    default:
      return [at(path, issue.message)];
  }
}

/** Plain issue without a schema origin (cross-references, missing files). */
export function customIssue(file: string, locator: TomlLocator, path: KeyPath, message: string): ConfigIssue {
  const pos = locator.locate(path);
  return { file, ...(pos === undefined ? {} : { line: pos.line, column: pos.column }), path: formatPath(path), message };
}
