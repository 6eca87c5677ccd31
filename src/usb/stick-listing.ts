/**
 * `midimon plugin install <stick root>`: instead of failing ("plugin.toml is
 * missing"), a folder that holds midimon-plugins/ (or is it) lists what is on
 * it: each package's name and version and whether it verifies (checksum and
 * signature per the box's policy; the sandbox load happens at install), or
 * why not. Scanned under the same bounds and no-follow rules as a mounted
 * stick.
 */
import { lstat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { toMidimonError } from '../errors.js';
import { STICK_PLUGIN_DIR } from '../plugins/manifest.js';
import { scanStick, verifyPackage, type InstallOptions, type ScanOptions } from './installer.js';

export interface ListedPackage {
  readonly path: string;
  /** The manifest's name; for a refused folder, the folder's name. */
  readonly name: string;
  /** Empty for a folder whose manifest could not be read. */
  readonly version: string;
  readonly verifies: boolean;
  /** Why it does not verify (or was not checked). */
  readonly reason?: string;
  /** Key id of the key its signature verified with. */
  readonly signed_by?: string;
}

/** Packages verified per listing at most: each read is up to 32 MiB from a slow stick. */
export const MAX_VERIFIED = 20;

const exists = (p: string) => lstat(p).then(() => true, () => false);

/**
 * The stick root `dir` stands for (it holds midimon-plugins/, or is that
 * folder), or undefined when `dir` is a package (or nothing like a stick).
 */
export async function stickRootOf(dir: string): Promise<string | undefined> {
  if (await exists(join(dir, 'plugin.toml'))) return undefined;
  if (await exists(join(dir, STICK_PLUGIN_DIR))) return dir;
  if (basename(dir) === STICK_PLUGIN_DIR) return dirname(dir);
  return undefined;
}

export async function listStick(root: string, options: Pick<InstallOptions, 'signature' | 'trustedKeys'> & { readonly scan?: ScanOptions }): Promise<{ packages: ListedPackage[]; note?: string }> {
  const scan = await scanStick(root, options.scan);
  const local = (text: string) => text.replaceAll(`${root}/`, '');
  const packages: ListedPackage[] = [];
  for (const [i, pkg] of scan.packages.entries()) {
    const m = pkg.manifest;
    if (i >= MAX_VERIFIED) {
      packages.push({ path: pkg.dir, name: m.name, version: m.version, verifies: false, reason: `not checked (a listing checks the first ${MAX_VERIFIED}); install it to check it` });
      continue;
    }
    try {
      const v = await verifyPackage(pkg, options);
      packages.push({ path: pkg.dir, name: m.name, version: m.version, verifies: true, ...(v.signedBy === undefined ? {} : { signed_by: v.signedBy }) });
    } catch (err) {
      packages.push({ path: pkg.dir, name: m.name, version: m.version, verifies: false, reason: local(toMidimonError(err).message) });
    }
  }
  for (const p of scan.problems) packages.push({ path: p.dir, name: basename(p.dir), version: '', verifies: false, reason: local(p.error.message) });
  packages.sort((a, b) => a.path.localeCompare(b.path));
  const s = scan.stopped;
  const note = s === undefined ? undefined : s.reason === 'time' ? `stopped looking after ${s.limit / 1000} s` : s.reason === 'entries' ? `stopped looking after ${s.limit} entries` : `looked at the first ${s.limit} folders only`;
  return { packages, ...(note === undefined ? {} : { note }) };
}
