import type { ControlHandlers, PluginChangeResult, PluginStatus, StatusResult } from '../control/protocol.js';
import { MidimonError, OTHER_ERROR_KINDS, PLUGIN_ERROR_KINDS, type ErrorKind } from '../errors.js';
import type { Capability } from '../plugins/types.js';
import type { MidimonBox } from './box.js';
import type { PluginEntry } from './plugin-set.js';
import { deviceStatuses } from './views.js';

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
    ...(p.error === undefined ? {} : { error: p.error }),
    ...(p.state === undefined ? {} : { state: p.state }),
  };
}

function change(p: PluginEntry): PluginChangeResult {
  return { name: p.name, enabled: p.enabled, capabilities_granted: p.granted };
}

/** What the control socket (and so `midimon` over SSH) can ask the running box. */
export function buildControlHandlers(box: MidimonBox, config: Pick<ControlHandlers, 'reload' | 'configShow' | 'configPath'>): ControlHandlers {
  return {
    ...config,
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
        devices: deviceStatuses(box.devices(), fs.names, fs.real, { controller, panel: display?.hasPanel ?? false, simulated: box.simulation.oled !== null }),
        plugins: box.pluginSet.list().map(pluginStatus),
        recent_errors: box.problems
          .recent()
          .slice(0, RECENT_ERRORS)
          .map((p) => ({ at: new Date(p.at).toISOString(), kind: asKind(p.kind), message: p.message, source: p.source })),
        config: await box.config.status(),
      };
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
    async pluginInstall(path) {
      if (path === undefined) {
        return { installed: false, packages: box.stickOffers() };
      }
      const r = await box.installFromStick(path);
      return { installed: true, name: r.name, version: r.version, sha256: r.sha256 };
    },
  };
}

/** Engine notice codes are not error kinds; the status protocol carries kinds, so those report as 'internal'. */
function asKind(kind: string): ErrorKind {
  const known: readonly string[] = [...PLUGIN_ERROR_KINDS, ...OTHER_ERROR_KINDS];
  return known.includes(kind) ? (kind as ErrorKind) : 'internal';
}
