import type { ListedPackage } from '../usb/stick-listing.js';
import type { DegradedDevice } from './device-health.js';
import type { DeviceStatus } from '../control/protocol.js';
import type { ControlHandlers, DevicesResult, PluginChangeResult, PluginStatus, SetlistStatus, SetlistTarget, StatusResult, TempoRequest, TempoStatus } from '../control/protocol.js';
import { MidimonError, OTHER_ERROR_KINDS, PLUGIN_ERROR_KINDS, type ErrorKind } from '../errors.js';
import type { ConfigService } from '../config/config-service.js';
import type { DisplayController } from '../display/display-controller.js';
import type { Capability } from '../plugins/types.js';
import type { PluginEntry, PluginSet } from './plugin-set.js';
import type { Problems } from './problems.js';
import type { StickStatus } from './sticks.js';
import { deviceStatuses, type DeviceRow } from './views.js';
import type { MonitorBus } from './monitor-bus.js';
import type { SeenPort } from '../midi/midi-devices.js';
import type { SendInjector } from './send-injector.js';
import type { Learn } from './learn.js';

type ModeInfo = { name: string; index: number; count: number };

/**
 * What the control handlers need of the running box (MidimonBox implements
 * it); kept narrow so the handlers can be tested without building a box.
 */
export interface BoxControl {
  readonly version: string;
  readonly startedAt: number;
  readonly simulated: boolean;
  readonly config: Pick<ConfigService, 'current' | 'status'>;
  readonly display: Pick<DisplayController, 'hasPanel' | 'snapshotPng'> | null;
  readonly simulation: { readonly oled: object | null };
  readonly pluginSet: Pick<PluginSet, 'list' | 'setEnabled' | 'setGrant'>;
  readonly problems: Pick<Problems, 'recent'>;
  /** Absent in boxes built without hardware reporting (tests of other parts). */
  readonly health?: { list(): DegradedDevice[] };
  modeInfo(): ModeInfo | null;
  setMode(target: 'next' | 'prev' | { name: string }, source: 'socket'): ModeInfo;
  devices(): DeviceRow[];
  /** Every MIDI port listed now, located (null before the MIDI runtime runs). */
  midiPorts(): { backend: string; seen: readonly SeenPort[] } | null;
  footswitchInfo(): { names: readonly string[]; real: boolean };
  stickOffers(): { path: string; name: string; version: string }[];
  stickStatus(): StickStatus[];
  installFromStick(packageDir: string): Promise<{ name: string; version: string; sha256: string }>;
  /** A stick root's packages and whether each verifies; undefined when `dir` is not a stick root. */
  listStickAt(dir: string): Promise<{ packages: ListedPackage[]; note?: string } | undefined>;
  /** Reports the clock; with a request, changes it first (throws MidimonError when it cannot). */
  tempo(request?: TempoRequest): TempoStatus;
  readonly sends: Pick<SendInjector, 'send'>;
  readonly monitor: Pick<MonitorBus, 'subscribe'>;
  panic(source: 'socket'): { channels: number };
  /** The setlist position (null without a [setlist]). */
  setlistInfo(): SetlistStatus | null;
  /** Selects a song (throws MidimonError not_found without a setlist or for an unknown song). */
  selectSong(target: SetlistTarget, source: 'socket'): SetlistStatus;
  /** `midimon learn` (absent in boxes built for tests of other parts). */
  readonly learn?: Pick<Learn, 'request'>;
}

const RECENT_ERRORS = 20;

function pluginStatus(p: PluginEntry): PluginStatus {
  return {
    name: p.name,
    ...(p.version === undefined ? {} : { version: p.version }),
    enabled: p.enabled,
    loaded: p.loaded,
    lane: p.lane,
    capabilities_granted: p.granted,
    capabilities_requested: p.requested,
    ...(p.unavailable === undefined ? {} : { capabilities_unavailable: p.unavailable }),
    ...(p.error === undefined ? {} : { error: p.error }),
    ...(p.state === undefined ? {} : { state: p.state }),
  };
}

function change(p: PluginEntry): PluginChangeResult {
  return { name: p.name, enabled: p.enabled, capabilities_granted: p.granted };
}

/** What the control socket (and so `midimon` over SSH) can ask the running box. */
export function buildControlHandlers(box: BoxControl, config: Pick<ControlHandlers, 'reload' | 'configShow' | 'configPath'>): ControlHandlers {
  return {
    ...config,
    async devices(): Promise<DevicesResult> {
      const m = box.midiPorts();
      if (m === null) throw new MidimonError('device_unavailable', 'the MIDI runtime is not running');
      return {
        backend: m.backend,
        ports: m.seen.map((p) => ({
          direction: p.direction,
          port: p.port,
          name: p.name,
          ...(p.identity === undefined ? {} : { client: `${p.identity.client}:${p.identity.port}` }),
          ...(p.identity?.card === undefined ? {} : { card: p.identity.card }),
          ...(p.identity?.usbPath === undefined ? {} : { usb_port: p.identity.usbPath }),
          ...(p.identity?.serial === undefined ? {} : { serial: p.identity.serial }),
          open: p.open,
          matched: p.matched,
        })),
      };
    },
    async status(): Promise<StatusResult> {
      const display = box.display;
      const fs = box.footswitchInfo();
      const controller = box.config.current?.config.devices.display.controller ?? 'none';
      return {
        version: box.version,
        pid: process.pid,
        uptime_s: Math.round((Date.now() - box.startedAt) / 1000),
        simulated: box.simulated,
        mode: box.modeInfo(),
        devices: markDegraded(deviceStatuses(box.devices(), fs.names, fs.real, { controller, panel: display?.hasPanel ?? false, simulated: box.simulation.oled !== null }), box.health?.list() ?? []),
        plugins: box.pluginSet.list().map(pluginStatus),
        // Info (a plugin installed) is news, not an error: the banner shows it, the error list does not.
        recent_errors: box.problems
          .recent()
          .filter((p) => p.severity !== 'info')
          .slice(0, RECENT_ERRORS)
          .map((p) => ({ at: new Date(p.at).toISOString(), kind: asKind(p.kind), message: p.message, source: p.source })),
        config: await box.config.status(),
        usb: { sticks: box.stickStatus() },
        tempo: tempoOrNull(box),
        degraded: box.health?.list() ?? [],
        setlist: box.setlistInfo(),
      };
    },
    async tempo(request) {
      return box.tempo(request);
    },
    async mode(target) {
      return box.setMode(target, 'socket');
    },
    async screenshot() {
      const display = box.display;
      if (display === null) throw new MidimonError('device_unavailable', 'the display is not running');
      const png = display.snapshotPng();
      const height = box.config.current?.config.devices.display.height ?? 64;
      return { width: 128, height, png_base64: png.toString('base64') };
    },
    async pluginList() {
      return { plugins: box.pluginSet.list().map(pluginStatus) };
    },
    async pluginEnable(name) {
      return change(await box.pluginSet.setEnabled(name, true));
    },
    async pluginDisable(name) {
      return change(await box.pluginSet.setEnabled(name, false));
    },
    async pluginGrant(name, capability: Capability) {
      return change(await box.pluginSet.setGrant(name, capability, true));
    },
    async pluginRevoke(name, capability: Capability) {
      return change(await box.pluginSet.setGrant(name, capability, false));
    },
    async send(request) {
      return box.sends.send(request);
    },
    monitor: (listener) => box.monitor.subscribe(listener),
    async panic() {
      return box.panic('socket');
    },
    async setlist(target) {
      if (target !== undefined) return box.selectSong(target, 'socket');
      const info = box.setlistInfo();
      if (info === null) throw new MidimonError('not_found', 'no [setlist] in the config (docs/engine.md, "Setlists")');
      return info;
    },
    async learn(request, signal) {
      if (box.learn === undefined) throw new MidimonError('internal', 'learn is not available on this box');
      return box.learn.request(request, signal);
    },
    async pluginInstall(path) {
      if (path === undefined) {
        return { installed: false, packages: box.stickOffers() };
      }
      const listed = await box.listStickAt(path);
      if (listed !== undefined) return { installed: false, stick: path, ...listed };
      const r = await box.installFromStick(path);
      return { installed: true, name: r.name, version: r.version, sha256: r.sha256 };
    },
  };
}

function tempoOrNull(box: BoxControl): TempoStatus | null {
  try {
    return box.tempo();
  } catch {
    return null;
  }
}

/** A degraded part says so in its device line too, instead of "simulated". */
function markDegraded(devices: DeviceStatus[], degraded: readonly DegradedDevice[]): DeviceStatus[] {
  const kindOf = { footswitch: 'footswitches', display: 'display', 'midi-in': 'midi', 'midi-out': 'midi' } as const;
  return devices.map((d) => {
    const bad = degraded.find((x) => x.device === kindOf[d.kind]);
    return bad === undefined ? d : { ...d, connected: false, detail: `degraded: ${bad.reason}` };
  });
}

/** Engine notice codes are not error kinds; the status protocol carries kinds, so those report as 'internal'. */
function asKind(kind: string): ErrorKind {
  const known: readonly string[] = [...PLUGIN_ERROR_KINDS, ...OTHER_ERROR_KINDS];
  return known.includes(kind) ? (kind as ErrorKind) : 'internal';
}
