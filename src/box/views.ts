/**
 * Maps the box's live parts into the plain view models the OLED, the menu
 * and `midimon status` consume. Pure functions of their inputs.
 */
import type { BoxConfig } from '../config/schema.js';
import type { StatusView, StatusDevice, StatusTempo } from '../display/view-models.js';
import type { EngineSnapshot, TriggerFiredEffect } from '../engine/types.js';
import { locationMatches } from '../midi/midi-devices.js';
import { deviceMatches } from '../engine/name-pattern.js';
import type { MenuContext, MenuDevice } from '../menu/index.js';
import type { PortStatus } from '../midi/midi-devices.js';
import type { DeviceStatus, SetlistStatus } from '../control/protocol.js';
import type { SystemInfo } from '../system/system-info.js';
import { DEFAULT_GRANTS } from '../plugins/types.js';
import type { PluginEntry } from './plugin-set.js';
import { statusSong } from './setlist-view.js';
import type { Problem } from './problems.js';

export interface MidiPortsStatus {
  readonly inputs: readonly PortStatus[];
  readonly outputs: readonly PortStatus[];
  readonly lastSeen: Readonly<Record<string, number>>;
}

export interface DeviceRow {
  readonly name: string;
  readonly direction: 'in' | 'out' | 'both';
  readonly connected: boolean;
  readonly lastSeen?: number;
}

/** Open ports, plus configured ones that are not plugged in (shown as disconnected). */
export function deviceRows(config: BoxConfig, ports: MidiPortsStatus): DeviceRow[] {
  const rows = new Map<string, { in: boolean | null; out: boolean | null }>();
  const mark = (name: string, dir: 'in' | 'out', connected: boolean) => {
    const row = rows.get(name) ?? { in: null, out: null };
    row[dir] = (row[dir] ?? false) || connected;
    rows.set(name, row);
  };
  for (const p of ports.inputs) mark(p.alias ?? p.name, 'in', true);
  for (const p of ports.outputs) mark(p.alias ?? p.name, 'out', true);
  // The same matcher MidiDevices opened the ports with (substring, glob or /regex/, or the alias).
  const open = (list: readonly PortStatus[], spec: { name: string; alias?: string | undefined; usb_port?: string | undefined; serial?: string | undefined }) =>
    list.some((p) => (spec.alias !== undefined && p.alias === spec.alias) || (deviceMatches(spec.name, p.name, p.alias) && locationMatches(spec, p)));
  for (const spec of config.devices.midi.inputs) if (!open(ports.inputs, spec)) mark(spec.alias ?? spec.name, 'in', false);
  for (const spec of config.devices.midi.outputs) if (!open(ports.outputs, spec)) mark(spec.alias ?? spec.name, 'out', false);
  return [...rows.entries()].map(([name, r]) => {
    const lastSeen = ports.lastSeen[name];
    return {
      name,
      direction: r.in !== null && r.out !== null ? 'both' : r.in !== null ? 'in' : 'out',
      connected: (r.in ?? true) && (r.out ?? true) && (r.in === true || r.out === true),
      ...(lastSeen === undefined ? {} : { lastSeen }),
    };
  });
}

export function triggerText(t: TriggerFiredEffect | null): string | undefined {
  if (t === null) return undefined;
  return t.description.length > 0 ? t.description : t.trigger;
}

export function statusView(args: {
  snapshot: EngineSnapshot | null;
  devices: readonly DeviceRow[];
  lastTrigger: TriggerFiredEffect | null;
  plugins: readonly PluginEntry[];
  banner: Problem | undefined;
  /** The clock config: tempo shows only when the clock is in use. */
  clock?: BoxConfig['clock'] | undefined;
  /** [setlist] wrap: whether the last song's "next" is the first. */
  setlistWrap?: boolean | undefined;
}): StatusView {
  const s = args.snapshot;
  const lastTrigger = triggerText(args.lastTrigger);
  const tempo = s === null || args.clock === undefined ? undefined : statusTempo(s.tempo, args.clock);
  const song = s === null ? undefined : statusSong(s.setlist, s.modeName, args.setlistWrap ?? false);
  return {
    // People count modes from 1 (OLED, `midimon mode`, the log); Program Change numbers stay 0-based.
    mode: { index: (s?.modeIndex ?? 0) + 1, name: s?.modeName ?? '-', count: s?.modeNames.length ?? 0 },
    devices: args.devices.map((d): StatusDevice => ({ name: d.name, direction: d.direction, connected: d.connected })),
    ...(lastTrigger === undefined ? {} : { lastTrigger }),
    plugins: args.plugins.map((p) => ({ name: p.name, state: pluginState(p) })),
    ...(args.banner === undefined ? {} : { banner: { severity: args.banner.severity, text: args.banner.message } }),
    ...(tempo === undefined ? {} : { tempo }),
    ...(song === undefined ? {} : { song }),
  };
}

/** Tempo for the status screen, when the clock is in use: it sends somewhere, follows an input, or runs. */
export function statusTempo(t: EngineSnapshot['tempo'], clock: BoxConfig['clock']): StatusTempo | undefined {
  if (clock.outputs.length === 0 && t.source === 'internal' && !t.running) return undefined;
  return { bpm: t.bpm, running: t.running, external: t.source === 'external', locked: t.locked, beat: t.beat_in_bar };
}

export function pluginState(p: PluginEntry): string {
  if (!p.enabled) return 'disabled';
  if (p.error !== undefined) return 'error';
  // The host gave up reloading it (repeated timeouts or crashes), or is reloading it now.
  if (p.state === 'failed') return 'failed';
  if (p.state === 'respawning') return 'restarting';
  return p.loaded ? 'running' : 'loading';
}

export function menuContext(args: {
  now: number;
  snapshot: EngineSnapshot | null;
  plugins: readonly PluginEntry[];
  devices: readonly DeviceRow[];
  problems: readonly Problem[];
  system: SystemInfo;
  version: string;
  usb: MenuContext['usb'];
  setlist?: SetlistStatus | null | undefined;
  monitor?: MenuContext['monitor'];
}): MenuContext {
  const s = args.snapshot;
  const tempo = s === null ? undefined : { bpm: s.tempo.bpm, running: s.tempo.running, source: s.tempo.source, locked: s.tempo.locked };
  return {
    now: args.now,
    modes: (s?.modeNames ?? []).map((name, index) => ({ name, index: index + 1 })),
    currentMode: s?.modeName ?? '',
    plugins: args.plugins.map((p) => {
      // Default grants stay listed after a revoke, so the page can grant them back.
      const caps = new Set([...p.requested, ...p.granted, ...DEFAULT_GRANTS]);
      // The realtime lane never links Filesystem: no toggle that could only fail.
      if (p.lane === 'realtime') caps.delete('Filesystem');
      return {
        name: p.name,
        state: pluginState(p),
        enabled: p.enabled,
        capabilities: [...caps].map((name) => ({ name, granted: p.granted.includes(name) })),
        ...(p.error === undefined ? {} : { error: p.error }),
      };
    }),
    usb: args.usb,
    devices: args.devices.map((d): MenuDevice => ({ name: d.name, direction: d.direction, connected: d.connected, ...(d.lastSeen === undefined ? {} : { lastSeen: d.lastSeen }) })),
    // Info (a plugin installed) was on the banner; the Errors page lists what went wrong.
    errors: args.problems.filter((p) => p.severity !== 'info').map((p) => ({ at: p.at, severity: p.severity, kind: p.kind, message: p.message, ...(p.details === undefined ? {} : { details: p.details }) })),
    system: { ...args.system, version: args.version },
    ...(tempo === undefined ? {} : { tempo }),
    ...(args.setlist == null ? {} : { setlist: { position: args.setlist.position, songs: args.setlist.songs.map((s) => ({ number: s.number, name: s.name })) } }),
    ...(args.monitor === undefined ? {} : { monitor: args.monitor }),
  };
}

export function deviceStatuses(devices: readonly DeviceRow[], footswitches: readonly string[], footswitchesReal: boolean, display: { controller: string; panel: boolean; simulated: boolean }): DeviceStatus[] {
  const out: DeviceStatus[] = [];
  for (const d of devices) {
    if (d.direction !== 'out') out.push({ name: d.name, kind: 'midi-in', connected: d.connected });
    if (d.direction !== 'in') out.push({ name: d.name, kind: 'midi-out', connected: d.connected });
  }
  for (const f of footswitches) out.push({ name: f, kind: 'footswitch', connected: true, detail: footswitchesReal ? 'gpio' : 'simulated' });
  out.push({ name: display.controller, kind: 'display', connected: display.panel, detail: display.simulated ? 'simulated' : display.panel ? 'i2c' : 'not answering' });
  return out;
}
