/**
 * USB sticks on the running box: watches mounts per the [usb] section, lists
 * the plugin packages found on them (menu, `midimon plugin install`), and
 * verifies + installs one on request, after which it loads at once.
 */
import type { KeyObject } from 'node:crypto';
import { basename, join } from 'node:path';
import type { BoxConfig } from '../config/schema.js';
import { MidimonError, toMidimonError } from '../errors.js';
import type { Logger } from '../log.js';
import type { PluginHost } from '../plugins/host.js';
import type { Scheduler } from '../runtime/ports.js';
import { installPackage, listInstalled, loadTrustedKeys, readPackage, scanStick, type SignaturePolicy, type StickPackage } from '../usb/installer.js';
import { StickWatcher } from '../usb/mounts.js';
import type { Notices } from './notices.js';
import type { PluginSet } from './plugin-set.js';
import type { Problems } from './problems.js';

/** Name prefix of the throwaway instance that checks a plugin before it is installed. */
const INSTALL_PROBE = 'install-check.';

/** An install candidate being verified must not play notes or switch modes on the live box. */
export function isInstallProbe(plugin: string): boolean {
  return plugin.startsWith(INSTALL_PROBE);
}

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
  /** Default: /proc/self/mountinfo (tests pass their own). */
  readonly readMountInfo?: () => Promise<string>;
  /** The offers changed (the menu and status screen redraw). */
  readonly onChange: () => void;
}

export class Sticks {
  readonly #opts: SticksOptions;
  #watcher: StickWatcher | null = null;
  #packages: readonly StickPackage[] = [];
  #scanSeq = 0;
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

  /** Packages on the mounted sticks, as the menu and `midimon plugin install` list them. */
  offers(): { path: string; name: string; version: string }[] {
    return this.#packages.map((p) => ({ path: p.dir, name: p.manifest.name, version: p.manifest.version }));
  }

  /** (Re)starts stick detection from the [usb] section; called on start and when the section changes. */
  configure(usb: BoxConfig['usb']): void {
    this.stop();
    this.#packages = [];
    this.#opts.problems.resolvePrefix('usb:');
    if (!usb.enabled) return;
    this.#watcher = new StickWatcher({
      log: this.#opts.log,
      scheduler: this.#opts.scheduler,
      roots: usb.mount_roots,
      ...(this.#opts.readMountInfo === undefined ? {} : { readMountInfo: this.#opts.readMountInfo }),
      onChange: (mounts) => void this.#scan(mounts),
    });
    this.#watcher.start();
  }

  stop(): void {
    this.#watcher?.stop();
    this.#watcher = null;
    // A scan still running for the old watcher must not publish its result.
    this.#scanSeq++;
  }

  async #scan(mounts: readonly string[]): Promise<void> {
    // Scans of a slow stick may overlap the next mountinfo change: only the latest one counts.
    const seq = ++this.#scanSeq;
    const packages: StickPackage[] = [];
    const problems: Array<{ dir: string; error: MidimonError }> = [];
    for (const m of mounts) {
      const scan = await scanStick(m);
      packages.push(...scan.packages);
      problems.push(...scan.problems);
    }
    if (seq !== this.#scanSeq) return;
    this.#packages = packages;
    const board = this.#opts.problems;
    for (const p of board.active()) {
      if (p.key.startsWith('usb:') && !problems.some((q) => `usb:${q.dir}` === p.key)) board.resolve(p.key);
    }
    for (const p of problems) {
      board.report({ key: `usb:${p.dir}`, at: this.#opts.scheduler.now(), severity: 'warning', kind: p.error.kind, message: `USB: ${p.error.message}`, source: p.dir });
    }
    this.#opts.onChange();
  }

  /**
   * Verifies (checksum, signature per [usb] policy, sandbox load, metadata vs
   * manifest) and installs one package (from a stick, or a directory copied
   * over SSH); the plugin loads at once.
   */
  async install(packageDir: string): Promise<{ name: string; version: string; sha256: string }> {
    const pkg = this.#packages.find((p) => p.dir === packageDir) ?? (await readPackage(packageDir));
    if (this.#installing) throw new MidimonError('bad_request', 'another install is running');
    this.#installing = true;
    const name = pkg.manifest.name;
    const { host, log, problems } = this.#opts;
    try {
      const installed = await installPackage(pkg, {
        pluginsDir: this.#opts.pluginsDir,
        signature: this.#opts.signaturePolicy(),
        trustedKeys: this.#opts.trustedKeys,
        sandboxCheck: async (n, bytes) => {
          const probe = `${INSTALL_PROBE}${n}`;
          try {
            return await host.load(probe, { bytes });
          } finally {
            await host.unload(probe);
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
