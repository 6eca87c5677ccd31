import { createPrivateKey, sign, type KeyObject } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { argError } from '../arg-errors.js';
import { MidimonError, toMidimonError } from '../../errors.js';
import { silentLogger } from '../../log.js';
import { PluginHost } from '../../plugins/host.js';
import { isProfileName } from '../../plugins/limits.js';
import type { LoadedPlugin } from '../../plugins/types.js';
import { checkAgainstMetadata, keyId, parseManifest, renderManifest, STICK_PLUGIN_DIR, withChecksum, type PluginManifest } from '../../plugins/manifest.js';
import { writeFileAtomic } from '../../util/atomic-write.js';
import { EXIT_FAILURE, EXIT_OK, UsageError, type CommandRunner } from '../io.js';

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
    throw new MidimonError('not_found', `${tomlPath}: binary.path ${JSON.stringify(manifest.binaryPath)}: ${(err as Error).message} (build the plugin first)`, {
      details: { file: tomlPath, field: 'binary.path' },
    });
  }
  const key = options.signKey === undefined ? undefined : await loadSigningKey(options.signKey);

  const stateDir = await mkdtemp(join(tmpdir(), 'midimon-pack-'));
  const host = new PluginHost({ log: silentLogger(), stateDir, profile: options.profile ?? 'pi', isolation: 'thread' });
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
    throw new UsageError(`${argError(err, 'plugin pack').message}\n${USAGE}`);
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
