/**
 * The ports the engine loop is wired to. Each is a small structural
 * interface so the composition root can pass the real thing (MidiDevices,
 * PluginHost through `pluginHostCaller`, StateStore) or a fake.
 */
import type { ModeChangedEffect, NoticeEffect, SetlistChangedEffect, TempoChangedEffect, TriggerContext, TriggerFiredEffect } from '../engine/types.js';

export { realScheduler, type Scheduler } from '../util/scheduler.js';

/** Where MIDI goes out: MidiDevices implements it. Returns how many ports got the message; never throws. */
export interface MidiSink {
  send(output: string, bytes: readonly number[]): number;
}

/** Runs a plugin action. Results are inspected structurally (PluginHost's ExecuteResult) for notices. */
export interface PluginCaller {
  execute(plugin: string, action: string, context: TriggerContext, params?: Readonly<Record<string, unknown>>): Promise<unknown>;
}

/** Remembers the current mode across restarts; StateStore (src/state) fits as is. */
export interface ModeStore {
  readonly mode: string | null;
  setMode(name: string): Promise<void> | void;
}

/** Remembers the setlist position across restarts (src/box/setlist-store.ts keeps it in the state file). */
export interface SetlistStore {
  /** 0-based index and name of the song last selected; null: none. */
  readonly songPosition: { readonly index: number; readonly name: string } | null;
  saveSongPosition(position: { readonly index: number; readonly name: string } | null): Promise<void> | void;
}

/** In-memory ModeStore for tests and `--simulate` runs without a state directory. */
export class MemoryModeStore implements ModeStore {
  mode: string | null;
  readonly saved: string[] = [];

  constructor(mode: string | null = null) {
    this.mode = mode;
  }

  setMode(name: string): void {
    this.mode = name;
    this.saved.push(name);
  }
}

/** What the display, the menu and `midimon status` want to hear about. All optional. */
export interface EngineObserver {
  onModeChanged?(event: ModeChangedEffect): void;
  onNotice?(event: NoticeEffect): void;
  onTriggerFired?(event: TriggerFiredEffect): void;
  /** Tempo, transport, lock or source changed, or a beat passed (the beat indicator). */
  onTempo?(event: TempoChangedEffect): void;
  /** A plugin call settled: PluginHost's ExecuteResult (structural), or the Error it rejected with. */
  onPluginResult?(plugin: string, action: string, result: unknown): void;
  /** A song was selected, or a reload moved the setlist position. */
  onSetlistChanged?(event: SetlistChangedEffect): void;
}

/** JSON values, as PluginHost takes them (TOML params are JSON-compatible; TOML dates arrive as strings). */
export type JsonValue = null | boolean | number | string | JsonValue[] | { readonly [key: string]: JsonValue };

/** The slice of PluginHost the adapter needs (camelCase context + extras, JSON params). */
export interface PluginHostLike {
  execute(
    name: string,
    action: string,
    context: { velocity?: number | null; currentMode?: number | null; timestamp?: number; extra?: Readonly<Record<string, JsonValue>> },
    params?: Readonly<Record<string, JsonValue>>,
  ): Promise<unknown>;
}

/**
 * Adapts src/plugins/host.ts (PluginHost) to PluginCaller: the guide's three
 * fields map to its ExecuteContext, the documented extras go in `extra`.
 */
export function pluginHostCaller(host: PluginHostLike): PluginCaller {
  return {
    execute(plugin, action, c, params) {
      const extra: Record<string, JsonValue> = {
        mode_name: c.mode_name,
        channel: c.channel,
        note: c.note,
        cc: c.cc,
        value: c.value,
        trigger: c.trigger,
        device: c.device,
        tempo: { ...c.tempo },
      };
      // Only key-following calls say "press"/"release"; others keep the guide's request shape.
      if (c.event !== undefined) extra['event'] = c.event;
      // SysEx triggers hand the plugin the whole message and the pattern's captures.
      if (c.sysex !== undefined) extra['sysex'] = c.sysex as number[];
      if (c.captures !== undefined) extra['captures'] = c.captures as Record<string, number[]>;
      const context = { velocity: c.velocity, currentMode: c.current_mode, timestamp: c.timestamp, extra };
      return params === undefined
        ? host.execute(plugin, action, context)
        : host.execute(plugin, action, context, toJson(params) as Record<string, JsonValue>);
    },
  };
}

/** TOML gives Date objects for date values; plugins get them as ISO strings. */
function toJson(value: unknown): JsonValue {
  if (value === null || typeof value === 'boolean' || typeof value === 'number' || typeof value === 'string') return value;
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(toJson);
  if (typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toJson(v)]));
  return String(value);
}
