/**
 * The composition root's body: creates the box's parts and connects them.
 * Each part has one job and its own file: device parts (MIDI, footswitches,
 * display), USB sticks, the status refresh, notices, menu effects; this
 * class owns their order of start and stop and the wiring between them.
 */
import type { KeyObject } from 'node:crypto';
import { dirname, join } from 'node:path';
import { ConfigService, type ConfigApplyContext } from '../config/config-service.js';
import type { MidimonPaths } from '../config/paths.js';
import { configControlHandlers } from '../control/config-handlers.js';
import { ControlServer } from '../control/server.js';
import type { DisplayController } from '../display/display-controller.js';
import type { FakeI2cBus } from '../display/fake-i2c-bus.js';
import { MidimonError } from '../errors.js';
import type { FakeFootswitches } from '../gpio/fake-footswitches.js';
import type { Logger } from '../log.js';
import { reportConfigWarnings } from './config-warnings.js';
import type { FakeMidiBackend } from '../midi/fake-midi-backend.js';
import type { SeenPort } from '../midi/midi-devices.js';
import { PluginHost } from '../plugins/host.js';
import type { MidiRuntime } from '../runtime/midi-runtime.js';
import { pluginHostCaller, realScheduler, type Scheduler } from '../runtime/ports.js';
import { StateStore } from '../state/state-store.js';
import { buildControlHandlers, type BoxControl } from './control-handlers.js';
import { DeviceParts, type BoxHardware } from './device-parts.js';
import { DeviceHealth } from './device-health.js';
import { MenuDriver } from './menu-driver.js';
import { runMenuEffect } from './menu-effects.js';
import { DeferredRefresh, runTempoRequest, type TempoRequest } from './tempo.js';
import type { TempoInfo } from '../engine/types.js';
import { Notices } from './notices.js';
import { PluginSet } from './plugin-set.js';
import { Problems } from './problems.js';
import { StatusRefresh } from './status-refresh.js';
import { installedPluginsDir, Sticks, trustedKeysIn, type StickStatus } from './sticks.js';
import type { ScanOptions } from '../usb/installer.js';
import { deviceRows, menuContext, statusView, type DeviceRow } from './views.js';
import { MonitorBus } from './monitor-bus.js';
import { SendInjector } from './send-injector.js';
import { SetlistPositionStore } from './setlist-store.js';
import { setlistStatus } from './setlist-view.js';
import type { SetlistStatus, SetlistTarget } from '../control/protocol.js';
import { Learn } from './learn.js';
import { configuredPluginActions } from './learn-context.js';

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
  /** Default: /proc/self/mountinfo (tests, and the MIDIMON_MOUNTINFO seam, pass their own). */
  readonly readMountInfo?: () => Promise<string>;
  /** Replace [usb] mount_roots (the MIDIMON_MEDIA_ROOT seam, src/usb/stick-source.ts). */
  readonly mediaRoots?: readonly string[];
  /** Stick scan limits and hooks (tests). */
  readonly stickScan?: ScanOptions;
  /** Test seams for the real adapters (simulate hardware failures without hardware). */
  readonly hardware?: BoxHardware;
}

export class MidimonBox implements BoxControl {
  readonly #opts: BoxOptions;
  readonly #log: Logger;
  readonly #scheduler: Scheduler;
  readonly problems = new Problems();
  /** Configured hardware that does not work on this box (`midimon status` → degraded). */
  readonly health: DeviceHealth;
  readonly state: StateStore;
  readonly plugins: PluginHost;
  readonly pluginSet: PluginSet;
  readonly config: ConfigService;
  readonly menu: MenuDriver;
  /** MIDI in/out, gestures, triggers, plugin results, modes: what `midimon monitor` streams. */
  readonly monitor: MonitorBus;
  /** `midimon send`: injects at the engine's input (real box or simulation). */
  readonly sends: SendInjector;
  /** MIDI learn: `midimon learn` and the menu's Learn pages. */
  readonly learn: Learn;
  readonly #notices: Notices;
  readonly #parts: DeviceParts;
  readonly #sticks: Sticks;
  readonly #status: StatusRefresh;
  readonly #beatRefresh: DeferredRefresh;
  /** The Monitor page follows the traffic: one redraw per burst of messages. */
  readonly #monitorPage: DeferredRefresh;
  #control: ControlServer | null = null;
  #startedAt = Date.now();
  readonly #unsubscribe: Array<() => void> = [];

  constructor(options: BoxOptions) {
    this.#opts = options;
    this.#log = options.log;
    this.#scheduler = options.scheduler ?? realScheduler;
    const now = () => this.#scheduler.now();
    const refresh = () => this.#status.refresh();
    const beatRefresh = (this.#beatRefresh = new DeferredRefresh(this.#scheduler, refresh));
    this.#notices = new Notices(this.problems, this.#scheduler);
    this.health = new DeviceHealth({ problems: this.problems, log: options.log, now: () => this.#scheduler.now() });
    this.monitor = new MonitorBus(now);
    this.#monitorPage = new DeferredRefresh(this.#scheduler, () => this.menu.refresh());
    this.monitor.recent.onRecord(() => {
      if (this.menu.page === 'monitor') this.#monitorPage.request();
    });
    this.state = new StateStore({ dir: options.paths.stateDir, log: options.log });
    this.plugins = new PluginHost({
      log: options.log,
      stateDir: options.paths.stateDir,
      onHostCall: (plugin, call) => {
        if (!this.#sticks.isInstallProbe(plugin)) this.midi?.loop.hostCall(plugin, call);
      },
    });
    this.pluginSet = new PluginSet({
      host: this.plugins,
      log: options.log,
      state: this.state,
      problems: this.problems,
      trustedKeys: () => this.#trustedKeys(),
      now,
      // A fresh instance (or none) cannot end the notes the old one started.
      onReset: (plugin) => this.midi?.loop.pluginReset(plugin),
    });
    this.config = new ConfigService({
      path: options.paths.configPath,
      log: options.log,
      apply: (ctx) => this.#apply(ctx),
      watch: options.watchConfig ?? true,
      // Mappings may name plugins installed from a stick, which the config file does not list.
      validateOptions: () => ({ extraPluginNames: this.pluginSet.installedNames() }),
    });
    this.learn = new Learn({
      log: options.log,
      scheduler: this.#scheduler,
      problems: this.problems,
      configPath: () => this.config.path,
      validateOptions: () => ({ extraPluginNames: this.pluginSet.installedNames() }),
      reload: (reason) => this.config.reload(reason),
      modes: () => this.midi?.loop.snapshot()?.modeNames ?? [],
      currentMode: () => this.midi?.loop.snapshot()?.modeName ?? null,
      pluginActions: () => configuredPluginActions(this.config.current?.config),
      onMenuChange: () => {
        if (this.menu.open) this.menu.refresh();
      },
      announce: (message) => this.monitor.notice({ type: 'notice', level: 'info', code: 'learn', message }),
    });
    this.menu = new MenuDriver({
      log: options.log,
      scheduler: this.#scheduler,
      context: () => this.menuContext(),
      onEffect: (effect) =>
        runMenuEffect(effect, {
          log: this.#log,
          problems: this.problems,
          now,
          pluginSet: this.pluginSet,
          setMode: (name) => this.setMode({ name }, 'menu'),
          panic: () => this.panic('menu'),
          install: (dir) => this.installFromStick(dir),
          refresh,
          onRestart: options.onRestart,
          onShutdown: options.onShutdown,
          simulated: this.simulated,
          tempo: (command) => this.midi?.loop.tempoCommand(command, 'menu'),
          selectSong: (song) => void this.selectSong({ song }, 'menu'),
          toast: (text) => this.display?.toast(text),
          learn: this.learn,
        }),
      onView: (view) => {
        // Leaving the Learn page (back, timeout) stops listening, so no later control is swallowed.
        const s = this.menu.state;
        if (!s.open || !s.stack.some((f) => f.page === 'learn-listen')) this.learn.menuCancel();
        this.display?.setMenu(view);
      },
    });
    this.#parts = new DeviceParts({
      log: options.log,
      scheduler: this.#scheduler,
      simulate: options.simulate,
      plugins: pluginHostCaller(this.plugins),
      modeStore: this.state,
      setlistStore: new SetlistPositionStore(this.state),
      interceptMidi: (e) => this.learn.midi(e, () => this.menu.isControl(e)) || this.menu.midi(e),
      interceptFootswitch: (e) => this.learn.footswitch(e, () => this.menu.isControl(e)) || this.menu.footswitch(e),
      health: this.health,
      ...(options.hardware === undefined ? {} : { hardware: options.hardware }),
      monitor: this.monitor,
      observer: {
        onModeChanged: (e) => {
          this.monitor.mode(e, this.midi?.loop.snapshot()?.modeNames.length ?? 0);
          refresh();
        },
        onTempo: beatRefresh.request,
        onTriggerFired: (e) => {
          this.monitor.trigger(e);
          refresh();
        },
        onPluginResult: (plugin, action, result) => this.monitor.pluginResult(plugin, action, result),
        onSetlistChanged: (e) => {
          // `midimon monitor` shows song changes (people count songs from 1).
          if (e.index !== null) this.monitor.notice({ type: 'notice', level: 'info', code: 'setlist_song', message: `song ${e.index + 1}/${e.count}: ${e.name ?? ''} (mode ${e.mode ?? ''}, ${e.source})` });
          refresh();
        },
        // Info notices (a device connected) are logged by the engine; only trouble reaches the banner.
        onNotice: (n) => {
          this.monitor.notice(n);
          if (!this.#notices.engine(n)) refresh();
        },
      },
    });
    this.sends = new SendInjector({
      scheduler: this.#scheduler,
      target: {
        resolveInput: (name) => this.midi?.devices.resolveInput(name) ?? null,
        inputNames: () => this.midi?.devices.inputNames() ?? [],
        injectMidi: (event) => this.midi?.inject(event),
        footswitchNames: () => this.#parts.current?.footswitches.names ?? [],
        injectFootswitch: (event) => this.#parts.footswitch(event, true),
      },
    });
    this.#sticks = new Sticks({
      log: options.log,
      scheduler: this.#scheduler,
      problems: this.problems,
      notices: this.#notices,
      pluginsDir: installedPluginsDir(options.paths.stateDir),
      host: this.plugins,
      pluginSet: this.pluginSet,
      trustedKeys: () => this.#trustedKeys(),
      signaturePolicy: () => this.config.current?.config.usb.signature ?? 'if-present',
      ...(options.readMountInfo === undefined ? {} : { readMountInfo: options.readMountInfo }),
      ...(options.mediaRoots === undefined ? {} : { mediaRoots: options.mediaRoots }),
      ...(options.stickScan === undefined ? {} : { scan: options.stickScan }),
      onChange: refresh,
    });
    this.#status = new StatusRefresh({
      scheduler: this.#scheduler,
      stateDir: options.paths.stateDir,
      view: () => this.#statusView(),
      show: (view) => this.display?.setStatus(view),
      refreshMenu: () => {
        if (this.menu.open) this.menu.refresh();
      },
    });
  }

  /** Set in simulation: the scriptable MIDI ports, the switches and the decoded OLED. */
  get simulation(): { midi: FakeMidiBackend | null; footswitches: FakeFootswitches | null; oled: FakeI2cBus | null } {
    const parts = this.#parts.current;
    return { midi: this.#parts.fakeMidi, footswitches: parts?.fakeFootswitches ?? null, oled: parts?.fakeBus ?? null };
  }

  get midi(): MidiRuntime | null {
    return this.#parts.current?.midi ?? null;
  }

  get display(): DisplayController | null {
    return this.#parts.current?.display ?? null;
  }

  get startedAt(): number {
    return this.#startedAt;
  }

  get simulated(): boolean {
    return this.#opts.paths.simulated || this.#opts.simulate;
  }

  get version(): string {
    return this.#opts.version;
  }

  async start(): Promise<void> {
    this.#startedAt = Date.now();
    await this.state.start();
    await this.plugins.start();
    await this.#sticks.loadInstalled();
    this.#unsubscribe.push(
      this.config.onRejected((r) => this.#notices.configRejected(r.error, this.config.path)),
      this.config.onApplied((ctx) => {
        if (ctx.next.origin === 'file') this.problems.resolve('config');
      }),
      this.problems.onChange(() => this.#status.refresh()),
    );
    // A config rejected at start has already been reported through onRejected.
    await this.config.start();
    if (this.#opts.controlSocket ?? true) {
      this.#control = new ControlServer({ socketPath: this.#opts.paths.socketPath, handlers: buildControlHandlers(this, configControlHandlers(this.config)), log: this.#log });
      await this.#control.start();
    }
    this.#status.start();
  }

  async stop(): Promise<void> {
    this.#status.stop();
    this.#beatRefresh.stop();
    this.#monitorPage.stop();
    this.#notices.stop();
    for (const off of this.#unsubscribe.splice(0)) off();
    this.sends.stop();
    this.learn.stop();
    this.menu.stop();
    this.#sticks.stop();
    this.config.stop();
    await this.#control?.stop();
    this.#control = null;
    await this.#parts.stop();
    await this.pluginSet.stop();
    await this.plugins.stop();
    await this.state.stop();
  }

  /** `midimon tempo`: report, or set/nudge/tap/start/stop/source. */
  tempo(req: TempoRequest = {}): TempoInfo {
    return runTempoRequest(this.midi?.loop ?? null, req);
  }

  /** Mode as `midimon status` and `midimon mode` report it. */
  modeInfo(): { name: string; index: number; count: number } | null {
    const s = this.midi?.loop.snapshot() ?? null;
    return s === null ? null : { name: s.modeName, index: s.modeIndex, count: s.modeNames.length };
  }

  setMode(target: 'next' | 'prev' | { name: string }, source: 'socket' | 'menu'): { name: string; index: number; count: number } {
    const midi = this.midi;
    const snap = midi?.loop.snapshot();
    if (midi === null || snap === undefined || snap === null) throw new MidimonError('internal', 'the engine is not running');
    if (typeof target === 'object' && !snap.modeNames.includes(target.name)) {
      throw new MidimonError('not_found', `no mode named '${target.name}' (modes: ${snap.modeNames.join(', ')})`);
    }
    midi.loop.setMode(typeof target === 'object' ? target.name : target, source);
    return this.modeInfo() ?? { name: '', index: 0, count: 0 };
  }

  /** All notes off + sustain off on every output channel the box used; the banner says so. */
  panic(source: 'socket' | 'menu'): { channels: number } {
    const midi = this.midi;
    if (midi === null) throw new MidimonError('internal', 'the engine is not running');
    midi.loop.panic(source);
    return { channels: midi.loop.snapshot()?.usedChannels ?? 0 };
  }

  /** The setlist position as `midimon status` and `midimon setlist` report it (null without a [setlist]). */
  setlistInfo(): SetlistStatus | null {
    return setlistStatus(this.midi?.loop.snapshot()?.setlist, this.config.current?.config.setlist?.wrap ?? false);
  }

  /** Selects a song (`midimon setlist`, the menu); unknown songs are refused here with the list, not left to a notice. */
  selectSong(target: SetlistTarget, source: 'socket' | 'menu'): SetlistStatus {
    const midi = this.midi;
    const info = this.setlistInfo();
    if (midi === null) throw new MidimonError('internal', 'the engine is not running');
    if (info === null) throw new MidimonError('not_found', 'no [setlist] in the config (docs/engine.md, "Setlists")');
    const list = () => info.songs.map((s) => `${s.number} ${s.name}`).join(', ');
    let engineTarget: 'next' | 'prev' | number | string;
    if (typeof target === 'string') engineTarget = target;
    else if ('song' in target) {
      if (target.song > info.count) throw new MidimonError('not_found', `no song ${target.song} (songs: ${list()})`);
      engineTarget = target.song - 1;
    } else {
      const lower = target.name.toLowerCase();
      if (!info.songs.some((s) => s.name.toLowerCase() === lower)) throw new MidimonError('not_found', `no song named '${target.name}' (songs: ${list()})`);
      engineTarget = target.name;
    }
    midi.loop.setlist(engineTarget, source);
    return this.setlistInfo() ?? info;
  }

  devices(): DeviceRow[] {
    const midi = this.midi;
    const config = this.config.current?.config;
    if (midi === null || config === undefined) return [];
    return deviceRows(config, midi.devices.status());
  }

  midiPorts(): { backend: string; seen: readonly SeenPort[] } | null {
    const midi = this.midi;
    return midi === null ? null : { backend: midi.devices.backendKind, seen: midi.devices.seen() };
  }

  footswitchInfo(): { names: readonly string[]; real: boolean } {
    const parts = this.#parts.current;
    return { names: parts?.footswitches.names ?? [], real: parts !== null && parts.fakeFootswitches === null };
  }

  menuContext() {
    const learn = this.learn.menuState();
    const ctx = menuContext({
      now: this.#scheduler.now(),
      snapshot: this.midi?.loop.snapshot() ?? null,
      plugins: this.pluginSet.list(),
      devices: this.devices(),
      problems: this.problems.recent(),
      system: this.#status.system,
      version: this.#opts.version,
      usb: { present: this.#sticks.present, packages: this.stickOffers() },
      setlist: this.setlistInfo(),
      monitor: this.monitor.recent.lines(),
    });
    return learn === undefined ? ctx : { ...ctx, learn };
  }

  /** Packages on the mounted sticks, as the menu and `midimon plugin install` list them. */
  stickOffers(): { path: string; name: string; version: string }[] {
    return this.#sticks.offers();
  }

  /** Each mounted stick: queued, being scanned, or scanned with what it held. */
  stickStatus(): StickStatus[] {
    return this.#sticks.status();
  }

  /** Resolves once every mounted stick has been scanned (tests). */
  sticksScanned(): Promise<void> {
    return this.#sticks.idle();
  }

  /** Verifies and installs one package (from a stick, or a directory copied over SSH); it loads at once. */
  installFromStick(packageDir: string): Promise<{ name: string; version: string; sha256: string }> {
    return this.#sticks.install(packageDir);
  }

  listStickAt(dir: string): ReturnType<Sticks['listAt']> {
    return this.#sticks.listAt(dir);
  }

  #trustedKeys(): Promise<KeyObject[]> {
    return trustedKeysIn(join(dirname(this.config.path), 'trusted-keys'), this.problems, this.#scheduler.now());
  }

  async #apply(ctx: ConfigApplyContext): Promise<void> {
    const config = ctx.next.config;
    await this.#parts.apply(ctx);
    this.menu.configure(config);
    reportConfigWarnings(ctx.next.warnings ?? [], this.problems, this.#log, this.#scheduler.now());
    if (ctx.previous === undefined || ctx.diff.has('usb')) this.#sticks.configure(config.usb);
    // Plugin load failures are reported per plugin; they never reject a config.
    void this.pluginSet.apply(config, ctx.next.path).then(() => this.#status.refresh());
  }

  #statusView() {
    const midi = this.midi;
    if (midi === null) return null;
    return statusView({
      snapshot: midi.loop.snapshot(),
      devices: this.devices(),
      lastTrigger: midi.loop.lastTrigger,
      plugins: this.pluginSet.list(),
      banner: this.problems.banner(),
      clock: this.config.current?.config.clock,
      setlistWrap: this.config.current?.config.setlist?.wrap,
    });
  }
}
