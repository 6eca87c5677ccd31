import { createHash, createPrivateKey, createPublicKey, sign, type KeyObject } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parse as parseToml } from 'smol-toml';
import { MidimonError, toMidimonError } from '../../errors.js';
import { silentLogger } from '../../log.js';
import { PluginHost } from '../../plugins/host.js';
import { isProfileName } from '../../plugins/limits.js';
import { PLUGIN_NAME } from '../../plugins/metadata.js';
import { isCapability, type Capability, type LoadedPlugin } from '../../plugins/types.js';
import { writeFileAtomic } from '../../util/atomic-write.js';
import { EXIT_FAILURE, EXIT_OK, UsageError, type CommandRunner } from '../io.js';

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
function withChecksum(source: string, m: PluginManifest, checksum: string): string {
  const line = /^checksum\s*=\s*"[^"\n]*".*$/m;
  return line.test(source) ? source.replace(line, `checksum = ${q(checksum)}`) : renderManifest({ ...m, checksum });
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const x = [...new Set(a)].sort();
  const y = [...new Set(b)].sort();
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

/** Metadata the plugin reports at init() must agree with what the manifest promises. */
function checkAgainstMetadata(m: PluginManifest, loaded: LoadedPlugin, file: string): void {
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

async function loadSigningKey(path: string): Promise<KeyObject> {
  let pem: string;
  try {
    pem = await readFile(path, 'utf8');
  } catch (err) {
    throw new MidimonError('not_found', `--sign ${path}: ${(err as Error).message}`, { details: { file: path } });
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch (err) {
    throw new MidimonError('signature_invalid', `--sign ${path}: not a PEM private key (${(err as Error).message})`, { details: { file: path } });
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new MidimonError('signature_invalid', `--sign ${path}: key type is ${key.asymmetricKeyType ?? 'unknown'}, expected ed25519 (openssl genpkey -algorithm ed25519)`, { details: { file: path } });
  }
  return key;
}

export interface PackResult {
  readonly manifest: PluginManifest;
  readonly sha256: string;
  readonly size: number;
  readonly initFuel: number;
  /** The stick directory written, when --out was given. */
  readonly stickDir?: string;
  readonly keyId?: string;
}

export interface PackOptions {
  readonly out?: string;
  readonly signKey?: string;
  readonly profile?: 'pi' | 'desktop';
}

/**
 * Checks a plugin directory and lays it out for the USB installer. Builds
 * nothing: loads the .wasm the manifest names in the real sandbox, compares
 * init() metadata with plugin.toml, writes the checksum into plugin.toml, and
 * with `out` writes <out>/midimon-plugins/<name>-<version>/{plugin.toml,
 * <name>.wasm[, <name>.wasm.sig]}.
 */
export async function packPlugin(dir: string, options: PackOptions = {}): Promise<PackResult> {
  const tomlPath = join(dir, 'plugin.toml');
  let source: string;
  try {
    source = await readFile(tomlPath, 'utf8');
  } catch (err) {
    throw new MidimonError('not_found', `${tomlPath}: ${(err as Error).message}`, { details: { file: tomlPath } });
  }
  const manifest = parseManifest(source, tomlPath);
  const wasmPath = join(dir, manifest.binaryPath);
  let bytes: Uint8Array;
  try {
    bytes = await readFile(wasmPath);
  } catch (err) {
    throw new MidimonError('not_found', `${tomlPath}: binary.path ${q(manifest.binaryPath)}: ${(err as Error).message} (build the plugin first)`, {
      details: { file: tomlPath, field: 'binary.path' },
    });
  }
  const key = options.signKey === undefined ? undefined : await loadSigningKey(options.signKey);

  const stateDir = await mkdtemp(join(tmpdir(), 'midimon-pack-'));
  const host = new PluginHost({ log: silentLogger(), stateDir, profile: options.profile ?? 'pi' });
  let loaded: LoadedPlugin;
  try {
    try {
      loaded = await host.load(manifest.name, { bytes });
    } catch (err) {
      const e = toMidimonError(err);
      throw new MidimonError(e.kind, `${wasmPath}: does not load in the sandbox: ${e.message}`, { details: { file: wasmPath, ...(e.details ?? {}) }, cause: e });
    }
  } finally {
    await host.stop();
    await rm(stateDir, { recursive: true, force: true });
  }
  checkAgainstMetadata(manifest, loaded, tomlPath);

  const checksum = `sha256:${loaded.sha256}`;
  const updated = withChecksum(source, manifest, checksum);
  if (updated !== source) await writeFileAtomic(tomlPath, updated);
  const packed: PluginManifest = { ...manifest, checksum };

  let stickDir: string | undefined;
  if (options.out !== undefined) {
    stickDir = join(resolve(options.out), STICK_PLUGIN_DIR, `${manifest.name}-${manifest.version}`);
    const wasmName = `${manifest.name}.wasm`;
    // The stick copy always names the binary <name>.wasm beside its manifest.
    await writeFileAtomic(join(stickDir, wasmName), bytes);
    if (key !== undefined) await writeFileAtomic(join(stickDir, `${wasmName}.sig`), `${sign(null, bytes, key).toString('base64')}\n`);
    else await rm(join(stickDir, `${wasmName}.sig`), { force: true });
    await writeFileAtomic(join(stickDir, 'plugin.toml'), renderManifest({ ...packed, binaryPath: wasmName }));
  }
  return {
    manifest: packed,
    sha256: loaded.sha256,
    size: bytes.length,
    initFuel: loaded.initFuel,
    ...(stickDir === undefined ? {} : { stickDir }),
    ...(key === undefined ? {} : { keyId: keyId(key) }),
  };
}

const USAGE = 'usage: midimon plugin pack DIR [--out STICK_DIR] [--sign KEY.pem] [--profile pi|desktop] [--json]';

export const run: CommandRunner = async (argv, io) => {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: { out: { type: 'string' }, sign: { type: 'string' }, profile: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\n${USAGE}`);
  }
  const { values, positionals } = parsed;
  if (values.help === true) {
    io.stdout(`${USAGE}\n`);
    return EXIT_OK;
  }
  if (positionals.length !== 1) throw new UsageError(USAGE);
  if (values.profile !== undefined && !isProfileName(values.profile)) throw new UsageError(`--profile must be pi or desktop, got '${values.profile}'`);
  const dir = resolve(io.cwd, positionals[0] as string);
  try {
    const r = await packPlugin(dir, {
      ...(values.out === undefined ? {} : { out: resolve(io.cwd, values.out) }),
      ...(values.sign === undefined ? {} : { signKey: resolve(io.cwd, values.sign) }),
      ...(values.profile === undefined ? {} : { profile: values.profile }),
    });
    const m = r.manifest;
    if (values.json === true) {
      io.stdout(`${JSON.stringify({ event: 'packed', name: m.name, version: m.version, sha256: r.sha256, size: r.size, initFuel: r.initFuel, capabilities: [...m.required, ...m.optional], stickDir: r.stickDir ?? null, keyId: r.keyId ?? null })}\n`);
    } else {
      io.stdout(
        `${m.name} ${m.version}: loads in the sandbox, metadata matches plugin.toml\n` +
          `  ${basename(m.binaryPath)} ${r.size} bytes, sha256:${r.sha256}, init fuel ${r.initFuel}\n` +
          `  capabilities: ${[...m.required, ...m.optional].join(', ') || 'none'}\n` +
          (r.stickDir === undefined ? '' : `  written to ${r.stickDir}\n`) +
          (r.keyId === undefined ? '' : `  signed with ed25519 key ${r.keyId} (the box must trust its public key)\n`),
      );
    }
    return EXIT_OK;
  } catch (err) {
    const e = toMidimonError(err);
    if (values.json === true) io.stdout(`${JSON.stringify({ event: 'error', kind: e.kind, message: e.message, ...(e.details === undefined ? {} : { details: e.details }) })}\n`);
    io.stderr(`midimon plugin pack: ${e.kind}: ${e.message}\n`);
    return EXIT_FAILURE;
  }
};
