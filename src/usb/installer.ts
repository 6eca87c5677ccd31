/**
 * Installs plugins from a USB stick laid out by `midimon plugin pack`:
 *   <stick>/midimon-plugins/<name>-<version>/{plugin.toml, <name>.wasm[, <name>.wasm.sig]}
 * Nothing reaches the plugins directory before the SHA-256 checksum (and the
 * signature, where present or required) verifies and the plugin has loaded
 * in the sandbox with metadata matching its manifest. The copy is staged in
 * the same filesystem, fsynced, and swapped in by rename, so a yanked stick
 * or a power cut never leaves a half-installed plugin.
 */
import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { syncDirectory, writeFileSynced } from '../util/atomic-write.js';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { MidimonError, toMidimonError } from '../errors.js';
import { checkAgainstMetadata, checksumField, keyId, parseManifest, renderManifest, STICK_PLUGIN_DIR, type PluginManifest } from '../plugins/manifest.js';
import type { LoadedPlugin } from '../plugins/types.js';

export const MAX_PLUGIN_BYTES = 32 * 1024 * 1024;

export type SignaturePolicy = 'required' | 'if-present' | 'off';

export interface StickPackage {
  /** The package directory on the stick. */
  readonly dir: string;
  readonly manifest: PluginManifest;
}

export interface StickScan {
  readonly packages: readonly StickPackage[];
  /** Directories that look like packages but cannot be read; shown, never installed. */
  readonly problems: readonly { readonly dir: string; readonly error: MidimonError }[];
}

/** Lists the packages on a mounted stick (read-only; nothing is verified yet). */
export async function scanStick(mountPoint: string): Promise<StickScan> {
  const root = join(mountPoint, STICK_PLUGIN_DIR);
  let names: string[];
  try {
    names = (await readdir(root, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name).sort();
  } catch {
    return { packages: [], problems: [] };
  }
  const packages: StickPackage[] = [];
  const problems: { dir: string; error: MidimonError }[] = [];
  for (const name of names) {
    const dir = join(root, name);
    const file = join(dir, 'plugin.toml');
    try {
      packages.push({ dir, manifest: parseManifest(await readFile(file, 'utf8'), file) });
    } catch (err) {
      problems.push({ dir, error: toMidimonError(err, 'bad_request') });
    }
  }
  return { packages, problems };
}

/** One package directory (plugin.toml + wasm), e.g. copied to the box over SSH. */
export async function readPackage(dir: string): Promise<StickPackage> {
  const file = join(dir, 'plugin.toml');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new MidimonError('not_found', `${file}: ${(err as Error).message} (expected a package laid out by 'midimon plugin pack')`, { details: { file } });
  }
  return { dir, manifest: parseManifest(text, file) };
}

/** Public keys (PEM, Ed25519) the box trusts for plugin signatures: `<config dir>/trusted-keys/*.pem`. */
export async function loadTrustedKeys(dir: string): Promise<{ keys: KeyObject[]; skipped: { file: string; reason: string }[] }> {
  let files: string[];
  try {
    files = (await readdir(dir)).filter((f) => f.endsWith('.pem')).sort();
  } catch {
    return { keys: [], skipped: [] };
  }
  const keys: KeyObject[] = [];
  const skipped: { file: string; reason: string }[] = [];
  // One unreadable or foreign key file must not block installs signed by the others.
  for (const f of files) {
    const file = join(dir, f);
    try {
      const key = createPublicKey(await readFile(file, 'utf8'));
      if (key.asymmetricKeyType === 'ed25519') keys.push(key);
      else skipped.push({ file, reason: `a ${key.asymmetricKeyType ?? 'unknown'} key, not Ed25519` });
    } catch (err) {
      skipped.push({ file, reason: `not a PEM public key: ${(err as Error).message}` });
    }
  }
  return { keys, skipped };
}

export interface InstallOptions {
  /** `<state dir>/plugins`: one directory per installed plugin. */
  readonly pluginsDir: string;
  /** Read only when a signature has to be checked. */
  readonly trustedKeys: () => Promise<readonly KeyObject[]>;
  readonly signature: SignaturePolicy;
  /** Loads the bytes in the sandbox and returns what init() reported (rejects with the load error kind). */
  readonly sandboxCheck: (name: string, bytes: Uint8Array) => Promise<LoadedPlugin>;
}

export interface InstalledPlugin {
  readonly name: string;
  readonly version: string;
  readonly sha256: string;
  readonly wasmPath: string;
  /** Key id of the key that verified the signature, if signed. */
  readonly signedBy?: string;
}

export async function installPackage(pkg: StickPackage, options: InstallOptions): Promise<InstalledPlugin> {
  const m = pkg.manifest;
  const tomlFile = join(pkg.dir, 'plugin.toml');
  const wasmPath = resolve(pkg.dir, m.binaryPath);
  const bytes = await readBounded(wasmPath, tomlFile);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  if (m.checksum === undefined || !/^sha256:[0-9a-f]{64}$/.test(m.checksum)) {
    throw new MidimonError('checksum_mismatch', `${tomlFile}: ${checksumField(m)} must be "sha256:<64 hex digits>" (run 'midimon plugin pack'), found ${JSON.stringify(m.checksum ?? null)}`, {
      details: { file: tomlFile, field: checksumField(m), plugin: m.name },
    });
  }
  if (m.checksum !== `sha256:${sha256}`) {
    throw new MidimonError('checksum_mismatch', `${m.name}: ${wasmPath} has SHA-256 ${sha256}, but ${tomlFile} says ${m.checksum.slice(7)}: refusing to install`, {
      details: { file: tomlFile, field: checksumField(m), plugin: m.name, actual: sha256 },
    });
  }
  const signedBy = await verifySignature(`${wasmPath}.sig`, bytes, m.name, options);
  let loaded: LoadedPlugin;
  try {
    loaded = await options.sandboxCheck(m.name, bytes);
  } catch (err) {
    const e = toMidimonError(err);
    throw new MidimonError(e.kind, `${m.name}: does not load in the sandbox: ${e.message}`, { details: { plugin: m.name, file: wasmPath }, cause: e });
  }
  checkAgainstMetadata(m, loaded, tomlFile);

  const target = join(options.pluginsDir, m.name);
  const wasmName = `${m.name}.wasm`;
  const staging = join(options.pluginsDir, `.staging-${m.name}-${randomBytes(4).toString('hex')}`);
  await mkdir(staging, { recursive: true });
  try {
    await writeFileSynced(join(staging, wasmName), bytes);
    await writeFileSynced(join(staging, 'plugin.toml'), renderManifest({ ...m, binaryPath: wasmName, checksum: `sha256:${sha256}` }));
    await syncDirectory(staging);
    await swapIn(staging, target, options.pluginsDir);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return { name: m.name, version: m.version, sha256, wasmPath: join(target, wasmName), ...(signedBy === undefined ? {} : { signedBy }) };
}

/** Installed plugins: `<pluginsDir>/<name>/plugin.toml` + wasm. Unreadable entries are skipped (and reported). */
export async function listInstalled(pluginsDir: string): Promise<{ name: string; version: string; wasmPath: string }[]> {
  await recoverInterruptedSwaps(pluginsDir);
  let names: string[];
  try {
    names = (await readdir(pluginsDir, { withFileTypes: true })).filter((d) => d.isDirectory() && !d.name.startsWith('.')).map((d) => d.name).sort();
  } catch {
    return [];
  }
  const out: { name: string; version: string; wasmPath: string }[] = [];
  for (const name of names) {
    try {
      const file = join(pluginsDir, name, 'plugin.toml');
      const m = parseManifest(await readFile(file, 'utf8'), file);
      out.push({ name: m.name, version: m.version, wasmPath: join(pluginsDir, name, m.binaryPath) });
    } catch {
      // A directory without a readable manifest is not an installed plugin.
    }
  }
  return out;
}

async function readBounded(path: string, tomlFile: string): Promise<Uint8Array> {
  try {
    const s = await stat(path);
    if (s.size > MAX_PLUGIN_BYTES) throw new MidimonError('invalid_module', `${path} is ${s.size} bytes, the limit is ${MAX_PLUGIN_BYTES}`);
    return await readFile(path);
  } catch (err) {
    if (err instanceof MidimonError) throw err;
    throw new MidimonError('not_found', `${tomlFile}: binary.path: cannot read ${path}: ${(err as Error).message}`, { details: { file: tomlFile, field: 'binary.path' } });
  }
}

/**
 * Applies a signature policy to `bytes`: the key id that verified `sigPath`,
 * undefined when unsigned and allowed, or a `signature_invalid` error.
 */
export async function verifySignature(
  sigPath: string,
  bytes: Uint8Array,
  name: string,
  options: Pick<InstallOptions, 'signature' | 'trustedKeys'>,
): Promise<string | undefined> {
  if (options.signature === 'off') return undefined;
  let sig: Buffer | undefined;
  try {
    sig = Buffer.from((await readFile(sigPath, 'utf8')).trim(), 'base64');
  } catch {
    sig = undefined;
  }
  if (sig === undefined) {
    if (options.signature === 'required') {
      throw new MidimonError('signature_invalid', `${name}: unsigned (no ${sigPath}) and the signature policy is "required"`, { details: { plugin: name, file: sigPath } });
    }
    return undefined;
  }
  const trusted = await options.trustedKeys();
  if (trusted.length === 0) {
    throw new MidimonError('signature_invalid', `${name}: signed, but the box trusts no keys yet (add the author's public key to trusted-keys/)`, { details: { plugin: name, file: sigPath } });
  }
  for (const key of trusted) {
    if (verify(null, bytes, key, sig)) return keyId(key);
  }
  throw new MidimonError('signature_invalid', `${name}: ${sigPath} does not verify with any trusted key (${trusted.map(keyId).join(', ')})`, {
    details: { plugin: name, file: sigPath },
  });
}

/** Old version aside, new one in, old one removed; recoverInterruptedSwaps() finishes a swap cut short. */
async function swapIn(staging: string, target: string, dir: string): Promise<void> {
  const aside = `${join(dir, '.old-')}${target.slice(dir.length + 1)}`;
  await rm(aside, { recursive: true, force: true });
  let hadOld = true;
  try {
    await rename(target, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    hadOld = false;
  }
  try {
    await rename(staging, target);
  } catch (err) {
    if (hadOld) await rename(aside, target).catch(() => undefined);
    throw err;
  }
  await syncDirectory(dir);
  if (hadOld) await rm(aside, { recursive: true, force: true });
}

/** A crash between the two renames leaves `.old-<name>` and no `<name>`: put the old version back. */
async function recoverInterruptedSwaps(dir: string): Promise<void> {
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch {
    return;
  }
  for (const e of entries) {
    if (e.startsWith('.staging-')) await rm(join(dir, e), { recursive: true, force: true });
    if (!e.startsWith('.old-')) continue;
    const name = e.slice(5);
    if (entries.includes(name)) await rm(join(dir, e), { recursive: true, force: true });
    else await rename(join(dir, e), join(dir, name));
  }
}
