/**
 * The composition root's body: builds every part from the config, wires
 * inputs -> engine -> outputs, applies hot reloads by diff, and tears it all
 * down in reverse. The only module that picks real drivers or their fakes.
 */
import { spawn } from 'node:child_process';
import type { KeyObject } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { ConfigService, type ConfigApplyContext } from '../config/config-service.js';
import type { MidimonPaths } from '../config/paths.js';
import { formatIssue, type ConfigIssue } from '../config/issues.js';
import type { BoxConfig } from '../config/schema.js';
import { configControlHandlers } from '../control/config-handlers.js';
import { ControlServer } from '../control/server.js';
import { createOledDisplay } from '../display/create-display.js';
import { DisplayController } from '../display/display-controller.js';
import type { FakeI2cBus } from '../display/fake-i2c-bus.js';
import { MidimonError, toMidimonError } from '../errors.js';
import type { FakeFootswitches } from '../gpio/fake-footswitches.js';
import type { Footswitches } from '../gpio/footswitches.js';
import { startFootswitches } from '../gpio/create-footswitches.js';
import type { Logger } from '../log.js';
import type { MenuEffect } from '../menu/index.js';
import { createMidiBackend } from '../midi/create-midi-backend.js';
import type { FakeMidiBackend } from '../midi/fake-midi-backend.js';
import { PluginHost } from '../plugins/host.js';
import { isCapability } from '../plugins/types.js';
import { MidiRuntime } from '../runtime/midi-runtime.js';
import { pluginHostCaller, realScheduler, type Scheduler } from '../runtime/ports.js';
import { StateStore } from '../state/state-store.js';
import { readSystemInfo, type SystemInfo } from '../system/system-info.js';
import { MenuDriver } from './menu-driver.js';
import { StickWatcher } from '../usb/mounts.js';
import { installPackage, listInstalled, loadTrustedKeys, readPackage, scanStick, type StickPackage } from '../usb/installer.js';
import { PluginSet } from './plugin-set.js';
import { Problems } from './problems.js';
import { buildControlHandlers } from './control-handlers.js';
import { deviceRows, menuContext, statusView, type DeviceRow } from './views.js';

export interface BoxOptions {
  readonly paths: MidimonPaths;
  readonly log: Logger;
  /** Use the fakes even where hardware might exist. */
  readonly simulate: boolean;
  readonly version: string;
  readonly scheduler?: Scheduler;
  /** Watch the config file (default true). */
  readonly watchConfig?: boolean;
  /** Serve the control socket (default true). */
  readonly controlSocket?: boolean;
  /** Menu "Restart service" / "Shut down": the process owner decides what they mean. */
  readonly onRestart?: () => void;
  readonly onShutdown?: () => void;
  /** Default: /proc/self/mountinfo (tests pass their own). */
  readonly readMountInfo?: () => Promise<string>;
}

interface Parts {
  midi: MidiRuntime;
  footswitches: Footswitches;
  fakeFootswitches: FakeFootswitches | null;
  display: DisplayController;
  fakeBus: FakeI2cBus | null;
}

const STATUS_REFRESH_MS = 500;
/** Re-read system info every 60 status refreshes (30 s). */
const SYSTEM_INFO_EVERY = 60;
/** Name prefix of the throwaway instance that checks a plugin before it is installed. */
const INSTALL_PROBE = 'install-check.';
const NOTICE_BANNER_MS = 10_000;

export class MidimonBox {
  readonly #opts: BoxOptions;
  readonly #log: Logger;
  readonly #scheduler: Scheduler;
  readonly problems = new Problems();
  readonly state: StateStore;
  readonly plugins: PluginHost;
  readonly pluginSet: PluginSet;
  readonly config: ConfigService;
  readonly menu: MenuDriver;
  #parts: Parts | null = null;
  #sticks: StickWatcher | null = null;
  #stickPackages: readonly StickPackage[] = [];
  #scanSeq = 0;
  /** One clear-timer per transient problem key, so a repeated notice gets its full time. */
  readonly #clearTimers = new Map<string, unknown>();
  #installing = false;
  #fakeMidi: FakeMidiBackend | null = null;
  #control: ControlServer | null = null;
  #system: SystemInfo = { hostname: '', addresses: [], memFreeMb: 0, memTotalMb: 0, diskFreeMb: null, uptimeS: 0 };
  #refreshTimer: unknown;
  #startedAt = Date.now();
  readonly #unsubscribe: Array<() => void> = [];

  constructor(options: BoxOptions) {
    this.#opts = options;
    this.#log = options.log;
    this.#scheduler = options.scheduler ?? realScheduler;
    const now = () => this.#scheduler.now();
    this.state = new StateStore({ dir: options.paths.stateDir, log: options.log });
    this.plugins = new PluginHost({
      log: options.log,
      stateDir: options.paths.stateDir,
      // An install candidate being verified must not play notes or switch modes on the live box.
      onHostCall: (plugin, call) => {
        if (!plugin.startsWith(INSTALL_PROBE)) this.#parts?.midi.loop.hostCall(plugin, call);
      },
    });
    this.pluginSet = new PluginSet({ host: this.plugins, log: options.log, state: this.state, problems: this.problems, trustedKeys: () => this.#trustedKeys(), now });
    this.config = new ConfigService({
      path: options.paths.configPath,
      log: options.log,
      apply: (ctx) => this.#apply(ctx),
      watch: options.watchConfig ?? true,
      // Mappings may name plugins installed from a stick, which the config file does not list.
      validateOptions: () => ({ extraPluginNames: this.pluginSet.installedNames() }),
    });
    this.menu = new MenuDriver({
      log: options.log,
      scheduler: this.#scheduler,
      context: () => this.menuContext(),
      onEffect: (e) => this.#menuEffect(e),
      onView: (view) => this.#parts?.display.setMenu(view),
    });
  }

  /** Set in simulation: the scriptable MIDI ports, the switches and the decoded OLED. */
  get simulation(): { midi: FakeMidiBackend | null; footswitches: FakeFootswitches | null; oled: FakeI2cBus | null } {
    return { midi: this.#fakeMidi, footswitches: this.#parts?.fakeFootswitches ?? null, oled: this.#parts?.fakeBus ?? null };
  }

  get midi(): MidiRuntime | null {
    return this.#parts?.midi ?? null;
  }

  get display(): DisplayController | null {
    return this.#parts?.display ?? null;
  }

  get startedAt(): number {
    return this.#startedAt;
  }

  async start(): Promise<void> {
    this.#startedAt = Date.now();
    await this.state.start();
    await this.plugins.start();
    await this.pluginSet.setInstalled(await listInstalled(this.#pluginsDir));
    this.#unsubscribe.push(
      this.config.onRejected((r) => this.#reportConfigError(r.error)),
      this.config.onApplied((ctx) => {
        if (ctx.next.origin === 'file') this.problems.resolve('config');
      }),
      this.problems.onChange(() => this.#refresh()),
    );
    // A config rejected at start has already been reported through onRejected.
    await this.config.start();
    if (this.#opts.controlSocket ?? true) {
      this.#control = new ControlServer({ socketPath: this.#opts.paths.socketPath, handlers: buildControlHandlers(this, configControlHandlers(this.config)), log: this.#log });
      await this.#control.start();
    }
    this.#readSystemInfo();
    this.#armRefresh();
    this.#refresh();
  }

  async stop(): Promise<void> {
    if (this.#refreshTimer !== undefined) this.#scheduler.clearTimeout(this.#refreshTimer);
    this.#refreshTimer = undefined;
    for (const t of this.#clearTimers.values()) this.#scheduler.clearTimeout(t);
    this.#clearTimers.clear();
    for (const off of this.#unsubscribe.splice(0)) off();
    this.menu.stop();
    this.#sticks?.stop();
    this.config.stop();
    await this.#control?.stop();
    this.#control = null;
    const parts = this.#parts;
    this.#parts = null;
    if (parts !== null) {
      // Note-offs go out while the ports are still open.
      parts.midi.stop();
      await parts.footswitches.stop();
      await parts.display.stop();
    }
    await this.pluginSet.stop();
    await this.plugins.stop();
    await this.state.stop();
  }

  /** Mode as `midimon status` and `midimon mode` report it. */
  modeInfo(): { name: string; index: number; count: number } | null {
    const s = this.#parts?.midi.loop.snapshot() ?? null;
    return s === null ? null : { name: s.modeName, index: s.modeIndex, count: s.modeNames.length };
  }

  setMode(target: 'next' | 'prev' | { name: string }, source: 'socket' | 'menu'): { name: string; index: number; count: number } {
    const parts = this.#parts;
    const snap = parts?.midi.loop.snapshot();
    if (parts === null || snap === undefined || snap === null) throw new MidimonError('internal', 'the engine is not running');
    if (typeof target === 'object' && !snap.modeNames.includes(target.name)) {
      throw new MidimonError('not_found', `no mode named '${target.name}' (modes: ${snap.modeNames.join(', ')})`);
    }
    parts.midi.loop.setMode(typeof target === 'object' ? target.name : target, source);
    return this.modeInfo() ?? { name: '', index: 0, count: 0 };
  }

  devices(): DeviceRow[] {
    const parts = this.#parts;
    const config = this.config.current?.config;
    if (parts === null || config === undefined) return [];
    return deviceRows(config, parts.midi.devices.status());
  }

  footswitchInfo(): { names: readonly string[]; real: boolean } {
    return { names: this.#parts?.footswitches.names ?? [], real: this.#parts !== null && this.#parts.fakeFootswitches === null };
  }

  menuContext() {
    return menuContext({
      now: this.#scheduler.now(),
      snapshot: this.#parts?.midi.loop.snapshot() ?? null,
      plugins: this.pluginSet.list(),
      devices: this.devices(),
      problems: this.problems.recent(),
      system: this.#system,
      version: this.#opts.version,
      usb: {
        present: (this.#sticks?.sticks.length ?? 0) > 0,
        packages: this.stickOffers(),
      },
    });
  }

  get simulated(): boolean {
    return this.#opts.paths.simulated || this.#opts.simulate;
  }

  get version(): string {
    return this.#opts.version;
  }

  #clearLater(key: string): void {
    const pending = this.#clearTimers.get(key);
    if (pending !== undefined) this.#scheduler.clearTimeout(pending);
    this.#clearTimers.set(
      key,
      this.#scheduler.setTimeout(() => {
        this.#clearTimers.delete(key);
        this.problems.resolve(key);
      }, NOTICE_BANNER_MS),
    );
  }

  /** Public keys in trusted-keys/ beside the config file (root-owned, not writable by the service). */
  async #trustedKeys(): Promise<KeyObject[]> {
    const { keys, skipped } = await loadTrustedKeys(join(dirname(this.config.path), 'trusted-keys'));
    for (const k of skipped) {
      this.problems.report({ key: `trusted-key:${k.file}`, at: this.#scheduler.now(), severity: 'warning', kind: 'config_invalid', message: `${basename(k.file)} ignored: ${k.reason}`, source: k.file });
    }
    return keys;
  }

  // ---- USB sticks ----

  get #pluginsDir(): string {
    return join(this.#opts.paths.stateDir, 'plugins');
  }

  /** Packages on the mounted sticks, as the menu and `midimon plugin install` list them. */
  stickOffers(): { path: string; name: string; version: string }[] {
    return this.#stickPackages.map((p) => ({ path: p.dir, name: p.manifest.name, version: p.manifest.version }));
  }

  /** (Re)starts stick detection from the [usb] section; called on start and when the section changes. */
  #configureUsb(usb: BoxConfig['usb']): void {
    this.#sticks?.stop();
    this.#sticks = null;
    this.#scanSeq++;
    this.#stickPackages = [];
    this.problems.resolvePrefix('usb:');
    if (!usb.enabled) return;
    this.#sticks = new StickWatcher({
      log: this.#log,
      scheduler: this.#scheduler,
      roots: usb.mount_roots,
      ...(this.#opts.readMountInfo === undefined ? {} : { readMountInfo: this.#opts.readMountInfo }),
      onChange: (mounts) => void this.#scanSticks(mounts.map((m) => m.mountPoint)),
    });
    this.#sticks.start();
  }

  async #scanSticks(mounts: readonly string[]): Promise<void> {
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
    this.#stickPackages = packages;
    for (const p of this.problems.active()) {
      if (p.key.startsWith('usb:') && !problems.some((q) => `usb:${q.dir}` === p.key)) this.problems.resolve(p.key);
    }
    for (const p of problems) {
      this.problems.report({ key: `usb:${p.dir}`, at: this.#scheduler.now(), severity: 'warning', kind: p.error.kind, message: `USB: ${p.error.message}`, source: p.dir });
    }
    this.#refresh();
  }

  /**
   * Verifies (checksum, signature per [usb] policy, sandbox load, metadata vs
   * manifest) and installs one package (from a stick, or a directory copied
   * over SSH); the plugin loads at once.
   */
  async installFromStick(packageDir: string): Promise<{ name: string; version: string; sha256: string }> {
    const pkg = this.#stickPackages.find((p) => p.dir === packageDir) ?? (await readPackage(packageDir));
    if (this.#installing) throw new MidimonError('bad_request', 'another install is running');
    this.#installing = true;
    const name = pkg.manifest.name;
    try {
      const config = this.config.current?.config;
      const installed = await installPackage(pkg, {
        pluginsDir: this.#pluginsDir,
        signature: config?.usb.signature ?? 'if-present',
        trustedKeys: () => this.#trustedKeys(),
        sandboxCheck: async (n, bytes) => {
          const probe = `${INSTALL_PROBE}${n}`;
          try {
            return await this.plugins.load(probe, { bytes });
          } finally {
            await this.plugins.unload(probe);
          }
        },
      });
      this.#log.info({ plugin: name, version: installed.version, sha256: installed.sha256, signedBy: installed.signedBy }, 'plugin installed from USB stick');
      this.problems.resolve(`usb-install:${name}`);
      await this.pluginSet.setInstalled(await listInstalled(this.#pluginsDir));
      this.problems.report({ key: `usb-installed:${name}`, at: this.#scheduler.now(), severity: 'info', kind: 'installed', message: `installed ${name} ${installed.version}`, source: packageDir });
      this.#clearLater(`usb-installed:${name}`);
      return installed;
    } catch (err) {
      const e = toMidimonError(err);
      this.#log.error({ plugin: name, kind: e.kind, err: e.message }, 'USB plugin install refused');
      this.problems.report({ key: `usb-install:${name}`, at: this.#scheduler.now(), severity: 'error', kind: e.kind, message: `install ${name}: ${e.message}`, source: packageDir });
      throw e;
    } finally {
      this.#installing = false;
    }
  }

  // ---- config ----

  async #apply(ctx: ConfigApplyContext): Promise<void> {
    const config = ctx.next.config;
    const parts = this.#parts;
    if (parts === null) {
      this.#parts = await this.#build(config);
    } else {
      await this.#swapDevices(parts, ctx);
      parts.midi.reload(config, config.devices.midi);
    }
    this.menu.configure(config);
    if (ctx.previous === undefined || ctx.diff.has('usb')) this.#configureUsb(config.usb);
    // Plugin load failures are reported per plugin; they never reject a config.
    void this.pluginSet.apply(config, ctx.next.path).then(() => this.#refresh());
  }

  /**
   * Footswitches and the display own hardware (GPIO lines, the panel on the
   * bus): the old part is stopped before the new one starts, or the old
   * one's release would unexport the new pins / switch the panel off. If a
   * new part fails, every swapped part goes back to the previous config and
   * the reload is refused as a whole.
   */
  async #swapDevices(parts: Parts, ctx: ConfigApplyContext): Promise<void> {
    const previous = ctx.previous?.config;
    const devices: Array<{ changed: boolean; stop: () => Promise<void>; start: (c: BoxConfig) => Promise<Partial<Parts>> }> = [
      {
        changed: ctx.diff.has('devices.footswitches') || ctx.diff.has('devices.footswitch_timing'),
        stop: () => parts.footswitches.stop(),
        start: (c) => this.#startFootswitches(c),
      },
      { changed: ctx.diff.has('devices.display'), stop: () => parts.display.stop(), start: (c) => this.#startDisplay(c) },
    ];
    const undo: Array<() => Promise<void>> = [];
    try {
      for (const d of devices.filter((x) => x.changed)) {
        await d.stop();
        if (previous !== undefined) {
          undo.push(async () => {
            await d.stop();
            Object.assign(parts, await d.start(previous));
          });
        }
        Object.assign(parts, await d.start(ctx.next.config));
      }
    } catch (err) {
      for (const step of undo.reverse()) {
        await step().catch((e: unknown) => this.#log.error({ err: e }, 'could not restore a device after a refused reload'));
      }
      throw err;
    }
  }


  async #build(config: BoxConfig): Promise<Parts> {
    const { backend, fake } = await createMidiBackend(this.#log, { simulate: this.#opts.simulate });
    this.#fakeMidi = fake;
    const midi = new MidiRuntime({
      engine: config,
      ports: config.devices.midi,
      backend,
      scheduler: this.#scheduler,
      log: this.#log,
      plugins: pluginHostCaller(this.plugins),
      modeStore: this.state,
      intercept: (e) => this.menu.midi(e),
      observer: {
        onModeChanged: () => this.#refresh(),
        onTriggerFired: () => this.#refresh(),
        onNotice: (n) => {
          // Info notices (a device connected) are logged by the engine; only trouble reaches the banner.
          if (n.level === 'info') return void this.#refresh();
          const key = `notice:${n.code}`;
          const severity = n.level === 'warn' ? 'warning' : n.level;
          this.problems.report({ key, at: this.#scheduler.now(), severity, kind: n.code, message: n.message, source: 'engine' });
          // Notices are moments, not states: the banner clears by itself, the Errors page keeps them.
          this.#clearLater(key);
        },
      },
    });
    let fs: Pick<Parts, 'footswitches' | 'fakeFootswitches'> | undefined;
    try {
      fs = await this.#startFootswitches(config);
      const display = await this.#startDisplay(config);
      const parts: Parts = { midi, ...fs, ...display };
      midi.start();
      return parts;
    } catch (err) {
      // Nothing of a failed build may keep running (the fallback config builds its own).
      await fs?.footswitches.stop();
      backend.close();
      throw err;
    }
  }

  async #startFootswitches(config: BoxConfig): Promise<Pick<Parts, 'footswitches' | 'fakeFootswitches'>> {
    const t = config.devices.footswitch_timing;
    const created = await startFootswitches({
      pins: config.devices.footswitches.map((f) => ({ name: f.name, pin: f.pin, activeLow: f.active_low })),
      timing: { debounceMs: t.debounce_ms, longPressMs: t.long_press_ms, doublePressMs: t.double_press_ms },
      scheduler: this.#scheduler,
      log: this.#log,
      simulate: this.#opts.simulate,
    });
    created.footswitches.onEvent((e) => {
      this.#parts?.display.wake();
      if (!this.menu.footswitch(e)) this.#parts?.midi.loop.dispatch(e);
    });
    return { footswitches: created.footswitches, fakeFootswitches: created.fake ?? null };
  }

  async #startDisplay(config: BoxConfig): Promise<Pick<Parts, 'display' | 'fakeBus'>> {
    const d = config.devices.display;
    const dimAfterMs = d.dim_after_s * 1000;
    const common = { log: this.#log, height: d.height, brightness: d.brightness, dimAfterMs, screensaverAfterMs: d.screensaver ? dimAfterMs : 0 } as const;
    if (d.controller === 'none') {
      const controller = new DisplayController({ ...common, display: null });
      await controller.start();
      return { display: controller, fakeBus: null };
    }
    const created = await createOledDisplay({ controller: d.controller, bus: d.bus, address: d.address, height: d.height, rotation: d.rotation, contrast: d.brightness }, { log: this.#log, simulate: this.#opts.simulate });
    const controller = new DisplayController({ ...common, display: created.display });
    await controller.start();
    return { display: controller, fakeBus: created.fakeBus ?? null };
  }

  /** The banner has two short lines: lead with where (file:line) and what (key path), details go to the Errors page. */
  #reportConfigError(error: MidimonError): void {
    const issues = (error.details?.['issues'] as readonly ConfigIssue[] | undefined) ?? [];
    const first = issues[0];
    const where = first === undefined ? basename(this.config.path) : `${basename(first.file)}${first.line === undefined ? '' : `:${first.line}`}`;
    const what = first === undefined ? error.message : `${first.path}${first.path === '' ? '' : ': '}${first.message}`;
    const more = issues.length > 1 ? ` (+${issues.length - 1} more)` : '';
    this.problems.report({
      key: 'config',
      at: this.#scheduler.now(),
      severity: 'error',
      kind: error.kind,
      message: `${where} ${what}${more}`,
      source: this.config.path,
      details: issues.map(formatIssue).join('\n') || error.message,
    });
  }

  // ---- outputs to the display ----

  #armRefresh(ticks = 0): void {
    this.#refreshTimer = this.#scheduler.setTimeout(() => {
      this.#refresh();
      // Addresses (DHCP), free disk and memory for the System page change slowly.
      if (ticks % SYSTEM_INFO_EVERY === SYSTEM_INFO_EVERY - 1) this.#readSystemInfo();
      this.#armRefresh(ticks + 1);
    }, STATUS_REFRESH_MS);
  }

  #readSystemInfo(): void {
    void readSystemInfo(this.#opts.paths.stateDir).then((s) => (this.#system = s));
  }

  /** Cheap: the display controller coalesces frames and sends only changed pages. */
  #refresh(): void {
    const parts = this.#parts;
    if (parts === null) return;
    parts.display.setStatus(
      statusView({
        snapshot: parts.midi.loop.snapshot(),
        devices: this.devices(),
        lastTrigger: parts.midi.loop.lastTrigger,
        plugins: this.pluginSet.list(),
        banner: this.problems.banner(),
      }),
    );
    if (this.menu.open) this.menu.refresh();
  }

  // ---- menu ----

  #menuEffect(effect: MenuEffect): void {
    const fail = (what: string) => (err: unknown) => {
      const e = toMidimonError(err);
      this.problems.report({ key: `menu:${what}`, at: this.#scheduler.now(), severity: 'error', kind: e.kind, message: e.message, source: 'menu' });
    };
    switch (effect.type) {
      case 'switch-mode':
        this.setMode({ name: effect.name }, 'menu');
        break;
      case 'plugin-enable':
        this.pluginSet.setEnabled(effect.name, effect.enabled).then(() => this.#refresh(), fail('plugin'));
        break;
      case 'plugin-grant':
        if (!isCapability(effect.capability)) return;
        this.pluginSet.setGrant(effect.name, effect.capability, effect.granted).then(() => this.#refresh(), fail('plugin'));
        break;
      case 'usb-install':
        this.installFromStick(effect.path).catch(fail('usb'));
        break;
      case 'restart':
        this.#log.warn('restart requested from the menu');
        (this.#opts.onRestart ?? (() => process.kill(process.pid, 'SIGTERM')))();
        break;
      case 'shutdown':
        this.#log.warn('shutdown requested from the menu');
        if (this.#opts.onShutdown !== undefined) this.#opts.onShutdown();
        else if (!this.simulated) {
          spawn('systemctl', ['poweroff'], { stdio: 'ignore' })
            .on('error', fail('shutdown'))
            .on('exit', (code) => {
              if (code !== 0) fail('shutdown')(new MidimonError('permission_denied', `systemctl poweroff failed (exit ${code ?? 'signal'}): is provisioning/polkit/50-midimon.rules installed?`));
            });
        }
        break;
    }
  }
}

