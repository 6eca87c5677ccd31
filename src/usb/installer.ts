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
import { mkdir, opendir, readdir, readFile, rename, rm } from 'node:fs/promises';
import { syncDirectory, writeFileSynced } from '../util/atomic-write.js';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { MidimonError, toMidimonError } from '../errors.js';
import { checkAgainstMetadata, checksumField, keyId, parseManifest, renderManifest, STICK_PLUGIN_DIR, type PluginManifest } from '../plugins/manifest.js';
import type { LoadedPlugin } from '../plugins/types.js';
import { lstatStick, readStickFile, refusalOf, shown, stickPath, stickRefusal } from './stick-files.js';

export const MAX_PLUGIN_BYTES = 32 * 1024 * 1024;
/** A real plugin.toml is under 1 KiB; anything near this is not one. */
export const MAX_MANIFEST_BYTES = 16 * 1024;
/** A base64 Ed25519 signature is 88 characters. */
export const MAX_SIGNATURE_BYTES = 4 * 1024;

export type SignaturePolicy = 'required' | 'if-present' | 'off';

export interface StickPackage {
  /** The package directory on the stick. */
  readonly dir: string;
  readonly manifest: PluginManifest;
  /** st_dev of the stick it was found on: files are read only from that filesystem. */
  readonly dev?: number;
}

export interface StickProblem {
  readonly dir: string;
  readonly error: MidimonError;
}

export interface StickScan {
  readonly mountPoint: string;
  readonly packages: readonly StickPackage[];
  /** Folders that look like packages but were refused; shown (summarised), never installed. */
  readonly problems: readonly StickProblem[];
  /** Set when the scan stopped at a limit before looking at everything. */
  readonly stopped?: { readonly reason: 'entries' | 'folders' | 'time'; readonly limit: number };
}

/**
 * A stick is scanned within these bounds, so 10,000 folders or a slow stick
 * cost the box a bounded amount of work. The layout is fixed
 * (midimon-plugins/<package>/plugin.toml), so depth is bounded by design.
 */
export interface ScanLimits {
  /** Entries of midimon-plugins/ read at most (files, folders, links). */
  readonly maxEntries: number;
  /** Package folders examined at most (in name order). */
  readonly maxFolders: number;
  /** Wall-clock budget of one stick's scan. */
  readonly budgetMs: number;
}

export const SCAN_LIMITS: ScanLimits = { maxEntries: 2000, maxFolders: 200, budgetMs: 10_000 };

export interface ScanOptions {
  readonly limits?: Partial<ScanLimits>;
  /** Monotonic milliseconds, for the time budget. Default performance.now. */
  readonly now?: () => number;
  /** Called before each package folder is examined (tests use it to act mid-scan). */
  readonly beforeFolder?: (index: number, dir: string) => Promise<void> | void;
}

/** First line of an error, safe to show: a TOML error quotes the (stick's own, bounded) manifest below it. */
function reason(err: unknown): MidimonError {
  const e = toMidimonError(err, 'bad_request');
  const first = e.message.split('\n')[0] ?? '';
  return new MidimonError(e.kind, shown(first, 240), e.details === undefined ? {} : { details: e.details });
}

/**
 * Lists the packages on a mounted stick (read-only; nothing is verified yet).
 * Never follows a link, reads only regular files, within SCAN_LIMITS.
 */
export async function scanStick(mountPoint: string, options: ScanOptions = {}): Promise<StickScan> {
  const limits = { ...SCAN_LIMITS, ...options.limits };
  const now = options.now ?? (() => performance.now());
  const deadline = now() + limits.budgetMs;
  const root = join(mountPoint, STICK_PLUGIN_DIR);
  const problems: StickProblem[] = [];
  let dev: number;
  try {
    dev = (await lstatStick(mountPoint, 'folder')).dev;
    await lstatStick(root, 'folder', dev);
  } catch (err) {
    // No midimon-plugins/ at all: a stick with photos on it, nothing to say.
    if (refusalOf(err) === 'missing') return { mountPoint, packages: [], problems: [] };
    return { mountPoint, packages: [], problems: [{ dir: root, error: reason(err) }] };
  }
  const folders: string[] = [];
  let stopped: StickScan['stopped'];
  try {
    let entries = 0;
    for await (const d of await opendir(root, { bufferSize: 64 })) {
      if (++entries > limits.maxEntries) {
        stopped = { reason: 'entries', limit: limits.maxEntries };
        break;
      }
      // Hidden entries are the host OS's (macOS ._* files, .Trashes), not packages.
      if (d.name.startsWith('.')) continue;
      const dir = join(root, d.name);
      if (d.isSymbolicLink()) problems.push({ dir, error: stickRefusal('bad_request', dir, 'link') });
      else if (d.isDirectory()) folders.push(d.name);
      else if (!d.isFile() && (await lstatStick(dir, 'folder', dev).then(() => true, () => false))) folders.push(d.name);
    }
  } catch (err) {
    problems.push({ dir: root, error: reason(err) });
  }
  folders.sort();
  if (folders.length > limits.maxFolders && stopped === undefined) stopped = { reason: 'folders', limit: limits.maxFolders };
  const packages: StickPackage[] = [];
  for (const [i, name] of folders.slice(0, limits.maxFolders).entries()) {
    if (now() > deadline) {
      stopped = { reason: 'time', limit: limits.budgetMs };
      break;
    }
    const dir = join(root, name);
    await options.beforeFolder?.(i, dir);
    try {
      packages.push({ dir, manifest: await readManifest(dir, dev), dev });
    } catch (err) {
      problems.push({ dir, error: reason(err) });
    }
  }
  return { mountPoint, packages, problems, ...(stopped === undefined ? {} : { stopped }) };
}

/** A version the plugin's metadata could match (semver-like, short, printable). */
const VERSION = /^[0-9A-Za-z.+-]{1,64}$/;

async function readManifest(dir: string, dev: number | undefined): Promise<PluginManifest> {
  const file = join(dir, 'plugin.toml');
  const bytes = await readStickFile(file, { maxBytes: MAX_MANIFEST_BYTES, dev, tooLargeKind: 'config_invalid' });
  const m = parseManifest(bytes.toString('utf8'), file);
  if (!VERSION.test(m.version)) {
    throw new MidimonError('config_invalid', `${file}: plugin.version must be a version like "1.2.0" (at most 64 characters)`, { details: { file, field: 'plugin.version' } });
  }
  return m;
}

/** One package directory (plugin.toml + wasm), e.g. copied to the box over SSH; read under the same rules as a stick. */
export async function readPackage(dir: string): Promise<StickPackage> {
  try {
    return { dir, manifest: await readManifest(dir, undefined) };
  } catch (err) {
    if (refusalOf(err) === 'missing') {
      throw new MidimonError('not_found', `${shown(join(dir, 'plugin.toml'), 200)} is missing (expected a package laid out by 'midimon plugin pack')`, { details: { file: join(dir, 'plugin.toml') } });
    }
    throw reason(err);
  }
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

/** A package whose bytes match its checksum and whose signature passes the policy (not yet loaded in the sandbox). */
export interface VerifiedPackage {
  readonly bytes: Uint8Array;
  readonly sha256: string;
  readonly wasmPath: string;
  readonly signedBy?: string;
}

/**
 * Reads a package's binary under the stick rules and checks its SHA-256 and
 * signature (per policy). Rejects with the reason a user sees.
 */
export async function verifyPackage(pkg: StickPackage, options: Pick<InstallOptions, 'signature' | 'trustedKeys'>): Promise<VerifiedPackage> {
  const m = pkg.manifest;
  const tomlFile = join(pkg.dir, 'plugin.toml');
  const fromStick = async <T>(read: () => Promise<T>): Promise<T> => {
    try {
      return await read();
    } catch (err) {
      const e = toMidimonError(err);
      throw new MidimonError(e.kind, `${m.name}: binary.path: ${e.message}`, { details: { ...e.details, file: tomlFile, field: 'binary.path', plugin: m.name }, cause: e });
    }
  };
  const wasmPath = await fromStick(() => stickPath(pkg.dir, m.binaryPath, pkg.dev));
  const bytes = await fromStick(() => readStickFile(wasmPath, { maxBytes: MAX_PLUGIN_BYTES, dev: pkg.dev, tooLargeKind: 'invalid_module' }));
  // Only now, with the bytes of a regular file on the stick, may its hash appear in a message.
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  if (m.checksum === undefined || !/^sha256:[0-9a-f]{64}$/.test(m.checksum)) {
    throw new MidimonError('checksum_mismatch', `${tomlFile}: ${checksumField(m)} must be "sha256:<64 hex digits>" (run 'midimon plugin pack'), found ${shown(JSON.stringify(m.checksum ?? null), 80)}`, {
      details: { file: tomlFile, field: checksumField(m), plugin: m.name },
    });
  }
  if (m.checksum !== `sha256:${sha256}`) {
    throw new MidimonError('checksum_mismatch', `${m.name}: ${wasmPath} has SHA-256 ${sha256}, but ${tomlFile} says ${m.checksum.slice(7)}: refusing to install`, {
      details: { file: tomlFile, field: checksumField(m), plugin: m.name, actual: sha256 },
    });
  }
  const signedBy = await verifySignature(`${wasmPath}.sig`, bytes, m.name, options, (p) => readStickFile(p, { maxBytes: MAX_SIGNATURE_BYTES, dev: pkg.dev }));
  return { bytes, sha256, wasmPath, ...(signedBy === undefined ? {} : { signedBy }) };
}

export async function installPackage(pkg: StickPackage, options: InstallOptions): Promise<InstalledPlugin> {
  const m = pkg.manifest;
  const tomlFile = join(pkg.dir, 'plugin.toml');
  const { bytes, sha256, wasmPath, signedBy } = await verifyPackage(pkg, options);
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

/**
 * Applies a signature policy to `bytes`: the key id that verified `sigPath`,
 * undefined when unsigned and allowed, or a `signature_invalid` error.
 */
export async function verifySignature(
  sigPath: string,
  bytes: Uint8Array,
  name: string,
  options: Pick<InstallOptions, 'signature' | 'trustedKeys'>,
  /** How to read the .sig file (a stick's is read under the stick rules); rejects with a refusal. Default readFile. */
  read: (path: string) => Promise<Buffer> = (p) => readFile(p),
): Promise<string | undefined> {
  if (options.signature === 'off') return undefined;
  let sig: Buffer | undefined;
  try {
    sig = Buffer.from((await read(sigPath)).toString('utf8').trim(), 'base64');
  } catch (err) {
    const refusal = refusalOf(err);
    // A link or FIFO where the signature should be is not "unsigned": it is refused.
    if (refusal !== undefined && refusal !== 'missing') {
      throw new MidimonError('signature_invalid', `${name}: ${toMidimonError(err).message}`, { details: { plugin: name, file: sigPath, reason: refusal } });
    }
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
