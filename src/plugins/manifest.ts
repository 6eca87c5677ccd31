/**
 * plugin.toml, the manifest of the plugin guide ("Publishing Your Plugin"):
 * parsed and rendered here for `midimon plugin new/pack` and the USB stick
 * installer, which must agree on it byte for byte.
 */
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { parse as parseToml } from 'smol-toml';
import { MidimonError } from '../errors.js';
import { PLUGIN_NAME } from './metadata.js';
import { isCapability, type Capability, type LoadedPlugin } from './types.js';

/** Directory on a USB stick that the box's plugin installer scans. */
export const STICK_PLUGIN_DIR = 'midimon-plugins';

/** plugin.toml as the guide defines it ("Publishing Your Plugin"). */
export interface PluginManifest {
  readonly name: string;
  readonly version: string;
  readonly description: string;
  readonly author: string;
  readonly license: string;
  readonly homepage?: string;
  readonly repository?: string;
  /** Relative to the manifest's directory. */
  readonly binaryPath: string;
  /** "sha256:<64 hex>", or undefined when not computed yet. */
  readonly checksum?: string;
  readonly required: readonly Capability[];
  readonly optional: readonly Capability[];
}

function invalid(file: string, field: string, message: string): MidimonError {
  return new MidimonError('config_invalid', `${file}: ${field} ${message}`, { details: { file, field } });
}

function table(raw: Record<string, unknown>, file: string, key: string): Record<string, unknown> {
  const v = raw[key];
  if (v === undefined) return {};
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw invalid(file, `[${key}]`, 'must be a table');
  return v as Record<string, unknown>;
}

function text(t: Record<string, unknown>, file: string, field: string, required: boolean): string | undefined {
  const v = t[field.split('.')[1] as string];
  if (v === undefined) {
    if (required) throw invalid(file, field, 'is missing');
    return undefined;
  }
  if (typeof v !== 'string' || v.length === 0) throw invalid(file, field, 'must be a non-empty string');
  return v;
}

function caps(t: Record<string, unknown>, file: string, field: string): Capability[] {
  const v = t[field.split('.')[1] as string];
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw invalid(file, field, 'must be an array of capability names');
  return v.map((c: unknown) => {
    if (!isCapability(c)) throw invalid(file, field, `contains unknown capability ${JSON.stringify(c)} (known: Network, Filesystem, Process, Midi)`);
    return c;
  });
}

/** Parses and checks plugin.toml; every error names the file and the field. */
export function parseManifest(source: string, file: string): PluginManifest {
  let raw: Record<string, unknown>;
  try {
    raw = parseToml(source) as Record<string, unknown>;
  } catch (err) {
    throw new MidimonError('config_parse', `${file}: ${(err as Error).message}`, { details: { file }, cause: err });
  }
  const p = table(raw, file, 'plugin');
  const b = table(raw, file, 'binary');
  const c = table(raw, file, 'capabilities');
  const name = text(p, file, 'plugin.name', true) as string;
  if (!PLUGIN_NAME.test(name)) throw invalid(file, 'plugin.name', `'${name}' must match [A-Za-z0-9][A-Za-z0-9_.-]*`);
  const checksum = text(b, file, 'binary.checksum', false);
  const binaryPath = text(b, file, 'binary.path', true) as string;
  if (binaryPath.startsWith('/') || binaryPath.split(/[\\/]/).includes('..')) throw invalid(file, 'binary.path', 'must be relative to plugin.toml, without ".."');
  const homepage = text(p, file, 'plugin.homepage', false);
  const repository = text(p, file, 'plugin.repository', false);
  return {
    name,
    version: text(p, file, 'plugin.version', true) as string,
    description: text(p, file, 'plugin.description', true) as string,
    author: text(p, file, 'plugin.author', true) as string,
    license: text(p, file, 'plugin.license', true) as string,
    ...(homepage === undefined ? {} : { homepage }),
    ...(repository === undefined ? {} : { repository }),
    binaryPath,
    ...(checksum === undefined ? {} : { checksum }),
    required: caps(c, file, 'capabilities.required'),
    optional: caps(c, file, 'capabilities.optional'),
  };
}

const q = (s: string): string => JSON.stringify(s);
const list = (a: readonly string[]): string => `[${a.map(q).join(', ')}]`;

/** The canonical plugin.toml text (what `plugin new` writes and the stick copy holds). */
export function renderManifest(m: PluginManifest): string {
  return [
    '# MIDIMon plugin manifest (format of the plugin guide, "Publishing Your Plugin").',
    '# The checksum is rewritten by `npm run plugins` and `midimon plugin pack`.',
    '',
    '[plugin]',
    `name = ${q(m.name)}`,
    `version = ${q(m.version)}`,
    `description = ${q(m.description)}`,
    `author = ${q(m.author)}`,
    `license = ${q(m.license)}`,
    ...(m.homepage === undefined ? [] : [`homepage = ${q(m.homepage)}`]),
    ...(m.repository === undefined ? [] : [`repository = ${q(m.repository)}`]),
    '',
    '[binary]',
    `path = ${q(m.binaryPath)}`,
    `checksum = ${q(m.checksum ?? 'sha256:')}`,
    '',
    '[capabilities]',
    `required = ${list(m.required)}`,
    `optional = ${list(m.optional)}`,
    '',
  ].join('\n');
}

/** Rewrites only the checksum line when there is one, so the author's comments and layout survive. */
export function withChecksum(source: string, m: PluginManifest, checksum: string): string {
  const line = /^checksum\s*=\s*"[^"\n]*".*$/m;
  return line.test(source) ? source.replace(line, `checksum = ${q(checksum)}`) : renderManifest({ ...m, checksum });
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const x = [...new Set(a)].sort();
  const y = [...new Set(b)].sort();
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

/** Metadata the plugin reports at init() must agree with what the manifest promises. */
export function checkAgainstMetadata(m: PluginManifest, loaded: LoadedPlugin, file: string): void {
  const md = loaded.metadata;
  const mismatch = (field: string, inToml: string, inWasm: string): MidimonError =>
    new MidimonError('bad_metadata', `${file}: ${field} is ${inToml} but the plugin's init() metadata says ${inWasm}`, { details: { file, field } });
  if (md.name !== m.name) throw mismatch('plugin.name', q(m.name), q(md.name));
  if (md.version !== m.version) throw mismatch('plugin.version', q(m.version), q(md.version));
  const declared = [...m.required, ...m.optional];
  if (!sameSet(declared, md.capabilities)) {
    throw mismatch('capabilities.required + capabilities.optional', list([...new Set(declared)].sort()), list([...md.capabilities].sort()));
  }
}

/** Key id the installer reports: first 16 hex digits of SHA-256 over the public key (SPKI DER). */
export function keyId(key: KeyObject): string {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  return createHash('sha256').update(pub.export({ type: 'spki', format: 'der' })).digest('hex').slice(0, 16);
}
