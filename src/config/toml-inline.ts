/**
 * Writes plain values as one-line TOML (inline tables, arrays, scalars), for
 * text the box inserts into the user's config (MIDI learn). Only what a
 * mapping can hold: strings, finite numbers, booleans, arrays and tables.
 */
import { MidimonError } from '../errors.js';

export type TomlValue = string | number | boolean | readonly TomlValue[] | { readonly [key: string]: TomlValue };

const BARE_KEY = /^[A-Za-z0-9_-]+$/;

export function tomlKey(key: string): string {
  return BARE_KEY.test(key) ? key : tomlString(key);
}

/** A TOML basic string: JSON's escapes are all valid TOML; DEL must be escaped too. */
export function tomlString(s: string): string {
  return JSON.stringify(s).replace(/\x7f/g, '\\u007F');
}

export function tomlInline(value: unknown): string {
  if (typeof value === 'string') return tomlString(value);
  if (typeof value === 'boolean') return String(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new MidimonError('bad_request', `cannot write ${value} in TOML`);
    return String(value);
  }
  if (Array.isArray(value)) return `[${value.map(tomlInline).join(', ')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    return entries.length === 0 ? '{}' : `{ ${entries.map(([k, v]) => `${tomlKey(k)} = ${tomlInline(v)}`).join(', ')} }`;
  }
  throw new MidimonError('bad_request', `cannot write a ${value === null ? 'null' : typeof value} in TOML`);
}
