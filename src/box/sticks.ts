/**
 * USB sticks on the running box: watches mounts per the [usb] section, lists
 * the plugin packages found on them (menu, `midimon plugin install`), and
 * verifies + installs one on request, after which it loads at once.
 */
import { randomBytes, type KeyObject } from 'node:crypto';
import { basename, join } from 'node:path';
import type { BoxConfig } from '../config/schema.js';
import { MidimonError, toMidimonError } from '../errors.js';
import type { Logger } from '../log.js';
import type { PluginHost } from '../plugins/host.js';
import type { Scheduler } from '../runtime/ports.js';
import { installPackage, listInstalled, loadTrustedKeys, readPackage, scanStick, type ScanOptions, type SignaturePolicy, type StickScan } from '../usb/installer.js';
import { StickWatcher } from '../usb/mounts.js';
import { StickScanner, summarizeScan } from '../usb/stick-scanner.js';
import { listStick, stickRootOf, type ListedPackage } from '../usb/stick-listing.js';
import type { UsbStickStatus } from '../control/protocol.js';
import type { Notices } from './notices.js';
import type { PluginSet } from './plugin-set.js';
import type { Problems } from './problems.js';

/** Public keys in trusted-keys/ beside the config file (root-owned, not writable by the service); unusable files are reported. */
export async function trustedKeysIn(dir: string, problems: Problems, now: number): Promise<KeyObject[]> {
  const { keys, skipped } = await loadTrustedKeys(dir);
  for (const k of skipped) {
    problems.report({ key: `trusted-key:${k.file}`, at: now, severity: 'warning', kind: 'config_invalid', message: `${basename(k.file)} ignored: ${k.reason}`, source: k.file });
  }
  return keys;
}

export interface SticksOptions {
  readonly log: Logger;
  readonly scheduler: Scheduler;
  readonly problems: Problems;
  readonly notices: Notices;
  /** Where installed plugins live (state dir). */
  readonly pluginsDir: string;
  readonly host: Pick<PluginHost, 'load' | 'unload'>;
  readonly pluginSet: Pick<PluginSet, 'setInstalled'>;
  readonly trustedKeys: () => Promise<readonly KeyObject[]>;
  readonly signaturePolicy: () => SignaturePolicy;
  /** Default: /proc/self/mountinfo (tests, and the MIDIMON_MOUNTINFO seam, pass their own). */
  readonly readMountInfo?: () => Promise<string>;
  /** Replace [usb] mount_roots (the MIDIMON_MEDIA_ROOT seam). */
  readonly mediaRoots?: readonly string[];
  /** Scan options (tests act mid-scan through beforeFolder). */
  readonly scan?: ScanOptions;
  /** The offers changed (the menu and status screen redraw). */
  readonly onChange: () => void;
}

/** A stick's state as `midimon status` reports it. */
export type StickStatus = UsbStickStatus;

export class Sticks {
  readonly #opts: SticksOptions;
  #watcher: StickWatcher | null = null;
  #scanner: StickScanner | null = null;
  /** The scan each stick's problem was reported for, so a redraw does not report it again. */
  readonly #reported = new Map<string, StickScan>();
  /** Names of the throwaway instances checking an install candidate right now. */
  readonly #probes = new Set<string>();
  #installing = false;

  constructor(options: SticksOptions) {
    this.#opts = options;
  }

  /** Loads the list of plugins installed earlier (call once at start). */
  async loadInstalled(): Promise<void> {
    await this.#opts.pluginSet.setInstalled(await listInstalled(this.#opts.pluginsDir));
  }

  /** True while at least one stick is mounted. */
  get present(): boolean {
    return (this.#watcher?.sticks.length ?? 0) > 0;
  }

  /** An install candidate being verified must not play notes or switch modes on the live box. */
  isInstallProbe(plugin: string): boolean {
    return this.#probes.has(plugin);
  }

  /** Packages on the mounted sticks, as the menu and `midimon plugin install` list them. */
  offers(): { path: string; name: string; version: string }[] {
    return (this.#scanner?.packages() ?? []).map((p) => ({ path: p.dir, name: p.manifest.name, version: p.manifest.version }));
  }

  status(): StickStatus[] {
    return (this.#scanner?.sticks() ?? []).map((s) => ({ mount: s.mountPoint, state: s.state, packages: s.scan?.packages.length ?? 0, refused: s.scan?.problems.length ?? 0 }));
  }

  /** Resolves once every mounted stick has been scanned. */
  idle(): Promise<void> {
    return this.#scanner?.idle() ?? Promise.resolve();
  }

  /** (Re)starts stick detection from the [usb] section; called on start and when the section changes. */
  configure(usb: BoxConfig['usb']): void {
    this.stop();
    this.#reported.clear();
    this.#opts.problems.resolvePrefix('usb:');
    if (!usb.enabled) return;
    const scanner = new StickScanner({ log: this.#opts.log, scan: (m) => scanStick(m, this.#opts.scan), onChange: () => this.#publish() });
    this.#scanner = scanner;
    this.#watcher = new StickWatcher({
      log: this.#opts.log,
      scheduler: this.#opts.scheduler,
      roots: this.#opts.mediaRoots ?? usb.mount_roots,
      ...(this.#opts.readMountInfo === undefined ? {} : { readMountInfo: this.#opts.readMountInfo }),
      onChange: (mounts) => scanner.update(mounts),
    });
    this.#watcher.start();
  }

  stop(): void {
    this.#watcher?.stop();
    this.#watcher = null;
    // A scan still running finishes in the background and publishes nothing.
    this.#scanner?.stop();
    this.#scanner = null;
  }

  /** One problem per stick, reported once per scan; O(sticks), whatever a stick holds. */
  #publish(): void {
    const board = this.#opts.problems;
    const sticks = this.#scanner?.sticks() ?? [];
    const mounted = new Set(sticks.map((s) => s.mountPoint));
    for (const mount of [...this.#reported.keys()]) {
      if (mounted.has(mount)) continue;
      this.#reported.delete(mount);
      board.resolve(`usb:${mount}`);
    }
    for (const s of sticks) {
      if (s.scan === undefined || this.#reported.get(s.mountPoint) === s.scan) continue;
      this.#reported.set(s.mountPoint, s.scan);
      const summary = summarizeScan(s.scan);
      if (summary === undefined) board.resolve(`usb:${s.mountPoint}`);
      else board.report({ key: `usb:${s.mountPoint}`, at: this.#opts.scheduler.now(), severity: 'warning', kind: 'bad_request', message: summary.message, source: s.mountPoint, details: summary.details });
    }
    this.#opts.onChange();
  }

  /** A stick root's packages and whether each verifies (checksum, signature); undefined when `dir` is not a stick root. */
  async listAt(dir: string): Promise<{ packages: ListedPackage[]; note?: string } | undefined> {
    const root = await stickRootOf(dir);
    if (root === undefined) return undefined;
    return listStick(root, { signature: this.#opts.signaturePolicy(), trustedKeys: this.#opts.trustedKeys, ...(this.#opts.scan === undefined ? {} : { scan: this.#opts.scan }) });
  }

  /**
   * Verifies (checksum, signature per [usb] policy, sandbox load, metadata vs
   * manifest) and installs one package (from a stick, or a directory copied
   * over SSH); the plugin loads at once.
   */
  async install(packageDir: string): Promise<{ name: string; version: string; sha256: string }> {
    if (this.#installing) throw new MidimonError('bad_request', 'another install is running');
    this.#installing = true;
    const { host, log, problems } = this.#opts;
    let name = packageDir;
    try {
      const pkg = this.#scanner?.packages().find((p) => p.dir === packageDir) ?? (await readPackage(packageDir));
      name = pkg.manifest.name;
      const installed = await installPackage(pkg, {
        pluginsDir: this.#opts.pluginsDir,
        signature: this.#opts.signaturePolicy(),
        trustedKeys: this.#opts.trustedKeys,
        sandboxCheck: async (_n, bytes) => {
          // Not derived from the plugin's name: a 64-character name must fit, and no real plugin may share it.
          const probe = `install-check.${randomBytes(6).toString('hex')}`;
          this.#probes.add(probe);
          try {
            return await host.load(probe, { bytes });
          } finally {
            await host.unload(probe);
            this.#probes.delete(probe);
          }
        },
      });
      log.info({ plugin: name, version: installed.version, sha256: installed.sha256, signedBy: installed.signedBy }, 'plugin installed from USB stick');
      problems.resolve(`usb-install:${name}`);
      await this.loadInstalled();
      this.#opts.notices.transient({ key: `usb-installed:${name}`, severity: 'info', kind: 'installed', message: `installed ${name} ${installed.version}`, source: packageDir });
      return installed;
    } catch (err) {
      const e = toMidimonError(err);
      log.error({ plugin: name, kind: e.kind, err: e.message }, 'USB plugin install refused');
      problems.report({ key: `usb-install:${name}`, at: this.#opts.scheduler.now(), severity: 'error', kind: e.kind, message: `install ${name}: ${e.message}`, source: packageDir });
      throw e;
    } finally {
      this.#installing = false;
    }
  }
}

/** Where stick-installed plugins live under the state directory. */
export function installedPluginsDir(stateDir: string): string {
  return join(stateDir, 'plugins');
}
