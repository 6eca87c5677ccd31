/**
 * plugin.toml, the manifest of the plugin guide ("Publishing Your Plugin"):
 * parsed and rendered here for `midimon plugin new/pack` and the USB stick
 * installer, which must agree on it byte for byte.
 */
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { parse as parseToml } from 'smol-toml';
import { MidimonError } from '../errors.js';
import { PLUGIN_NAME } from './runtime/metadata.js';
import { KNOWN_CAPABILITY_NAMES, parseCapabilityName, type DeclaredCapability, type LoadedPlugin } from './types.js';

/** Directory on a USB stick that the box's plugin installer scans. */
export const STICK_PLUGIN_DIR = 'midimon-plugins';

/**
 * Where a manifest keeps its binary and checksum. `binary`: ours and the
 * guide's ([binary] path/checksum, [capabilities] required/optional).
 * Desktop MIDIMon's own manifests come in two more shapes, accepted as they
 * are: `entry_point` ([plugin] entry_point = "x.wasm", capabilities = [...],
 * [[actions]]) and `plugin.binary` ([plugin] binary = "x.wasm",
 * [plugin.capabilities] network = true); in both the checksum goes under
 * [plugin] as `checksum = "sha256:..."`.
 */
export type ManifestShape = 'binary' | 'entry_point' | 'plugin.binary';

/** plugin.toml as the guide defines it ("Publishing Your Plugin"), or as desktop MIDIMon writes it. */
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
  readonly required: readonly DeclaredCapability[];
  readonly optional: readonly DeclaredCapability[];
  /** Absent means 'binary' (the canonical shape `renderManifest` writes). */
  readonly shape?: ManifestShape;
}

/** The key path of the checksum in a manifest of this shape, for messages that say where it goes. */
export function checksumField(m: Pick<PluginManifest, 'shape'>): string {
  return (m.shape ?? 'binary') === 'binary' ? 'binary.checksum' : 'plugin.checksum';
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

function capability(c: unknown, file: string, field: string): DeclaredCapability {
  const cap = parseCapabilityName(c);
  if (cap === undefined) throw invalid(file, field, `contains unknown capability ${JSON.stringify(c)} (known: ${KNOWN_CAPABILITY_NAMES})`);
  return cap;
}

function capList(v: unknown, file: string, field: string): DeclaredCapability[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw invalid(file, field, 'must be an array of capability names');
  return v.map((c: unknown) => capability(c, file, field));
}

/** Desktop MIDIMon's `[plugin.capabilities] network = true` form (a list is accepted there too). */
function capFlags(v: unknown, file: string, field: string): DeclaredCapability[] {
  if (v === undefined || Array.isArray(v)) return capList(v, file, field);
  if (typeof v !== 'object' || v === null) throw invalid(file, field, 'must be a table of name = true/false');
  return Object.entries(v).flatMap(([k, on]) => {
    if (typeof on !== 'boolean') throw invalid(file, `${field}.${k}`, 'must be true or false');
    return on ? [capability(k, file, field)] : [];
  });
}

function relativePath(file: string, field: string, path: string): string {
  if (path.startsWith('/') || path.split(/[\\/]/).includes('..')) throw invalid(file, field, 'must be relative to plugin.toml, without ".."');
  return path;
}

/** Where the binary, checksum and capabilities are, by shape. */
function locate(raw: Record<string, unknown>, p: Record<string, unknown>, file: string): Pick<PluginManifest, 'binaryPath' | 'checksum' | 'required' | 'optional' | 'shape'> {
  const pick = (t: Record<string, unknown>, section: string, key: string, required: boolean) => text(t, file, `${section}.${key}`, required);
  const withSum = (checksum: string | undefined) => (checksum === undefined ? {} : { checksum });
  if (raw['binary'] !== undefined || (p['entry_point'] === undefined && p['binary'] === undefined)) {
    const b = table(raw, file, 'binary');
    const c = table(raw, file, 'capabilities');
    return {
      binaryPath: relativePath(file, 'binary.path', pick(b, 'binary', 'path', true) as string),
      ...withSum(pick(b, 'binary', 'checksum', false)),
      required: capList(c['required'], file, 'capabilities.required'),
      optional: capList(c['optional'], file, 'capabilities.optional'),
    };
  }
  const checksum = withSum(pick(p, 'plugin', 'checksum', false));
  if (p['entry_point'] !== undefined) {
    return { binaryPath: relativePath(file, 'plugin.entry_point', pick(p, 'plugin', 'entry_point', true) as string), ...checksum, required: capList(p['capabilities'], file, 'plugin.capabilities'), optional: [], shape: 'entry_point' };
  }
  return { binaryPath: relativePath(file, 'plugin.binary', pick(p, 'plugin', 'binary', true) as string), ...checksum, required: capFlags(p['capabilities'], file, 'plugin.capabilities'), optional: [], shape: 'plugin.binary' };
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
  const name = text(p, file, 'plugin.name', true) as string;
  if (!PLUGIN_NAME.test(name)) throw invalid(file, 'plugin.name', `'${name}' must match [A-Za-z0-9][A-Za-z0-9_.-]*`);
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
    ...locate(raw, p, file),
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

/**
 * Rewrites only the checksum line when there is one, so the author's comments
 * and layout survive; a desktop-MIDIMon-shaped manifest without one gets it
 * on the line after its entry_point/binary.
 */
export function withChecksum(source: string, m: PluginManifest, checksum: string): string {
  const line = /^checksum\s*=\s*"[^"\n]*".*$/m;
  if (line.test(source)) return source.replace(line, `checksum = ${q(checksum)}`);
  const entry = m.shape === 'entry_point' ? /^entry_point\s*=.*$/m : m.shape === 'plugin.binary' ? /^binary\s*=.*$/m : undefined;
  if (entry !== undefined && entry.test(source)) return source.replace(entry, (l) => `${l}\nchecksum = ${q(checksum)}`);
  return renderManifest({ ...m, checksum });
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const x = [...new Set(a)].sort();
  const y = [...new Set(b)].sort();
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

/** Metadata the plugin reports at init() must agree with what the manifest promises. */
export function checkAgainstMetadata(m: PluginManifest, loaded: LoadedPlugin, file: string): void {
  const md = loaded.metadata;
  // Desktop MIDIMon names packages "foo-bar" and plugins "foo_bar" for the same thing.
  const sameName = (a: string, b: string) => a.replaceAll('-', '_') === b.replaceAll('-', '_');
  const mismatch = (field: string, inToml: string, inWasm: string): MidimonError =>
    new MidimonError('bad_metadata', `${file}: ${field} is ${inToml} but the plugin's init() metadata says ${inWasm}`, { details: { file, field } });
  if (!sameName(md.name, m.name)) throw mismatch('plugin.name', q(m.name), q(md.name));
  if (md.version !== m.version) throw mismatch('plugin.version', q(m.version), q(md.version));
  const declared = [...m.required, ...m.optional];
  const reported = [...md.capabilities, ...(md.unavailable ?? [])];
  if (!sameSet(declared, reported)) {
    const field = (m.shape ?? 'binary') === 'binary' ? 'capabilities.required + capabilities.optional' : 'plugin.capabilities';
    throw mismatch(field, list([...new Set(declared)].sort()), list([...reported].sort()));
  }
}

/** Key id the installer reports: first 16 hex digits of SHA-256 over the public key (SPKI DER). */
export function keyId(key: KeyObject): string {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  return createHash('sha256').update(pub.export({ type: 'spki', format: 'der' })).digest('hex').slice(0, 16);
}
