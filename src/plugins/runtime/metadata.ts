import { MidimonError } from '../../errors.js';
import { KNOWN_CAPABILITY_NAMES, parseCapabilityName, type Capability, type PluginMetadata, type UnavailableCapability } from '../types.js';

/** Largest metadata blob the host reads out of a plugin's memory. */
export const METADATA_MAX_BYTES = 64 * 1024;

// semver.org 2.0.0, without the build-metadata corner cases nobody uses.
const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/;
/** Plugin names become directory names and log tags: keep them boring. */
export const PLUGIN_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

function bad(field: string, message: string): MidimonError {
  return new MidimonError('bad_metadata', `metadata field '${field}' ${message}`, { details: { field } });
}

function str(obj: Record<string, unknown>, field: string, max = 1024): string {
  const v = obj[field];
  if (v === undefined) throw bad(field, 'is missing');
  if (typeof v !== 'string') throw bad(field, `must be a string, got ${typeof v}`);
  if (v.length === 0 || v.length > max) throw bad(field, `must be 1-${max} characters`);
  return v;
}

/** Decodes and checks the JSON the plugin's init() pointed at; errors name the field. */
export function parseMetadata(bytes: Uint8Array): PluginMetadata {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new MidimonError('bad_metadata', 'metadata is not valid UTF-8', { details: { field: '(root)' } });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new MidimonError('bad_metadata', `metadata is not JSON: ${(err as Error).message}`, { details: { field: '(root)' } });
  }
  return validateMetadata(raw);
}

export function validateMetadata(raw: unknown): PluginMetadata {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new MidimonError('bad_metadata', 'metadata must be a JSON object', { details: { field: '(root)' } });
  }
  const o = raw as Record<string, unknown>;
  const name = str(o, 'name', 64);
  if (!PLUGIN_NAME.test(name)) throw bad('name', 'must match [A-Za-z0-9][A-Za-z0-9_.-]*');
  const version = str(o, 'version', 64);
  if (!SEMVER.test(version)) throw bad('version', `must be a semantic version (x.y.z), got '${version}'`);
  const description = str(o, 'description');
  const author = str(o, 'author');
  const license = str(o, 'license', 128);
  if (o['type'] === undefined) throw bad('type', 'is missing');
  if (o['type'] !== 'action') throw bad('type', `must be "action", got ${JSON.stringify(o['type'])}`);
  // Upstream MIDIMon treats the list as optional and spells names in lowercase.
  const listed = o['capabilities'] ?? [];
  if (!Array.isArray(listed)) throw bad('capabilities', 'must be an array');
  // Validated metadata crosses the worker boundary and is validated again: keep it a fixed point.
  const caps = Array.isArray(o['unavailable']) ? [...listed, ...(o['unavailable'] as unknown[])] : listed;
  const capabilities: Capability[] = [];
  const unavailable: UnavailableCapability[] = [];
  for (const c of caps) {
    const cap = parseCapabilityName(c);
    if (cap === undefined) throw bad('capabilities', `contains unknown capability ${JSON.stringify(c)} (known: ${KNOWN_CAPABILITY_NAMES})`);
    if (cap === 'Audio' || cap === 'SystemControl') {
      if (!unavailable.includes(cap)) unavailable.push(cap);
    } else if (!capabilities.includes(cap)) capabilities.push(cap);
  }
  const meta: PluginMetadata = { name, version, description, author, license, type: 'action', capabilities, ...(unavailable.length === 0 ? {} : { unavailable }) };
  if (o['homepage'] !== undefined) return { ...meta, homepage: str(o, 'homepage') };
  return meta;
}
