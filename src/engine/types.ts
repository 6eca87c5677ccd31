/**
 * The engine's public contract: events in, effects out. The engine is pure
 * (no I/O, no timers, no clock): the runtime (src/runtime/) turns effects into
 * MIDI bytes, plugin calls, timers and persisted state, and feeds results back
 * as events. Every event carries `at`: unix milliseconds from the injected
 * clock (a fake clock in tests), which is also the plugins' `timestamp`.
 */
import type { ClockCommand, ClockSource, EngineConfig } from './config-types.js';
import type { FootswitchEvent, MidiInEvent } from './inputs.js';

export type { FootswitchEvent, MidiInEvent } from './inputs.js';

/** A timer the engine asked for (schedule-timer effect) has come due. */
export interface TimerFiredEvent {
  readonly type: 'timer';
  readonly id: string;
  readonly at: number;
}

/** A plugin called the host function `midimon.midi_send`. */
export interface PluginMidiSendEvent {
  readonly type: 'plugin-midi-send';
  readonly plugin: string;
  readonly bytes: readonly number[];
  readonly at: number;
  /** The `owner` of the plugin call that was running when the plugin sent this (absent: none known). */
  readonly owner?: string | undefined;
}

/** Mode target: a mode name, or `next` / `prev` (wrapping), or a 0-based index. */
export type ModeTarget = string | number;

/** A plugin called `midimon.set_mode` with a name, "next" or "prev". */
export interface PluginSetModeEvent {
  readonly type: 'plugin-set-mode';
  readonly plugin: string;
  readonly mode: ModeTarget;
  readonly at: number;
}

export type ModeCommandSource = 'cli' | 'menu' | 'socket' | 'startup';

/** A mode change requested by a person (CLI over the control socket, OLED menu). */
export interface ModeCommandEvent {
  readonly type: 'mode-command';
  readonly mode: ModeTarget;
  readonly source: ModeCommandSource;
  readonly at: number;
}

/** A validated config replaced the running one (hot reload): applied in place. */
export interface ConfigReplacedEvent {
  readonly type: 'config-replaced';
  readonly config: EngineConfig;
  readonly at: number;
}

/** A MIDI port matched by a configured pattern appeared or vanished. */
export interface DeviceEvent {
  readonly type: 'device';
  readonly change: 'connected' | 'disconnected';
  readonly direction: 'input' | 'output';
  /** Name without the ` client:port` suffix. */
  readonly device: string;
  readonly at: number;
}

/** A plugin-call effect finished; `ok` false when the call failed (trap, timeout, crash, not loaded). */
export interface PluginCallDoneEvent {
  readonly type: 'plugin-call-done';
  readonly plugin: string;
  readonly owner: string;
  readonly ok: boolean;
  readonly at: number;
}

/** A plugin's instance is gone (disabled, unloaded, reloaded): it can no longer end the notes it started. */
export interface PluginResetEvent {
  readonly type: 'plugin-reset';
  readonly plugin: string;
  readonly at: number;
}

/** All notes off, from `midimon panic`, the OLED menu or a Panic action. */
export interface PanicEvent {
  readonly type: 'panic';
  readonly source: string;
  readonly at: number;
}

/** The runtime's tick scheduler says the next internal clock tick (24 per beat) is due now. */
export interface ClockTickEvent {
  readonly type: 'clock-tick';
  readonly at: number;
}

/** What a person or an action asks of the tempo/clock. */
export type TempoCommand =
  | { readonly kind: 'set'; readonly bpm: number }
  | { readonly kind: 'nudge'; readonly by: number }
  | { readonly kind: 'tap' }
  | { readonly kind: 'transport'; readonly command: ClockCommand }
  | { readonly kind: 'source'; readonly source: ClockSource };

/** A tempo/clock command from the CLI (control socket) or the OLED menu. */
export interface TempoCommandEvent {
  readonly type: 'tempo-command';
  readonly command: TempoCommand;
  readonly source: ModeCommandSource;
  readonly at: number;
}

/** A person asked for a song: next/prev, a 0-based index or a name (CLI over the control socket, OLED menu). */
export interface SetlistCommandEvent {
  readonly type: 'setlist-command';
  readonly target: 'next' | 'prev' | number | string;
  readonly source: ModeCommandSource;
  readonly at: number;
}

export type EngineEvent =
  | MidiInEvent
  | FootswitchEvent
  | TimerFiredEvent
  | PluginMidiSendEvent
  | PluginSetModeEvent
  | ModeCommandEvent
  | ConfigReplacedEvent
  | DeviceEvent
  | PluginCallDoneEvent
  | PluginResetEvent
  | PanicEvent
  | ClockTickEvent
  | TempoCommandEvent
  | SetlistCommandEvent;

/**
 * What plugins receive as `context`: the guide's three fields first (old
 * plugins read only those), then documented extras they may ignore.
 */
export interface TriggerContext {
  readonly velocity: number | null;
  readonly current_mode: number | null;
  readonly timestamp: number;
  readonly mode_name: string | null;
  readonly channel: number | null;
  readonly note: number | null;
  readonly cc: number | null;
  /** CC value, encoder delta, pitch bend (signed), aftertouch pressure, program number. */
  readonly value: number | null;
  /** Trigger type that fired, e.g. "Note", "Footswitch". */
  readonly trigger: string | null;
  /** Input device name (or footswitch name) the event came from. */
  readonly device: string | null;
  /** Key-following mappings (fired by a note-on): "press", then "release" when that key is let go. */
  readonly event?: 'press' | 'release' | undefined;
  /** Tempo and song position when the trigger fired. */
  readonly tempo: TempoInfo;
  /** SysEx triggers: the whole incoming message, F0 to F7. */
  readonly sysex?: readonly number[] | undefined;
  /** SysEx triggers: the bytes each $name of the pattern captured. */
  readonly captures?: Readonly<Record<string, readonly number[]>> | undefined;
}

/** Tempo as plugins and the status see it. Positions count from the last Start (or Song Position Pointer). */
export interface TempoInfo {
  readonly bpm: number;
  readonly running: boolean;
  readonly source: ClockSource;
  /** External: a steady clock is being received (internal: always true). */
  readonly locked: boolean;
  /** Clock ticks (24 per beat) since the start; -1 before the first tick. */
  readonly tick: number;
  /** Whole beats since the start (0-based). */
  readonly beat: number;
  /** 1-based bar and beat within it. */
  readonly bar: number;
  readonly beat_in_bar: number;
  readonly beats_per_bar: number;
}

/** Send bytes to every open output whose name matches `output` ("*" = all). */
export interface MidiOutEffect {
  readonly type: 'midi-out';
  readonly output: string;
  readonly bytes: readonly number[];
}

export interface PluginCallEffect {
  readonly type: 'plugin-call';
  readonly plugin: string;
  readonly action: string;
  readonly context: TriggerContext;
  readonly params?: Readonly<Record<string, unknown>> | undefined;
  /** Notes the plugin sends during this call belong to this owner; the runtime reports plugin-call-done with it. */
  readonly owner?: string | undefined;
}

/** Fire a TimerFiredEvent with this id at `at` (replaces a pending timer with the same id). */
export interface ScheduleTimerEffect {
  readonly type: 'schedule-timer';
  readonly id: string;
  readonly at: number;
}

export interface CancelTimerEffect {
  readonly type: 'cancel-timer';
  readonly id: string;
}

export type ModeChangeSource = ModeCommandSource | 'mapping' | 'program-change' | 'plugin' | 'config';

/** The current mode changed: persist it and show it. */
export interface ModeChangedEffect {
  readonly type: 'mode-changed';
  readonly index: number;
  readonly name: string;
  readonly previous: string | null;
  readonly source: ModeChangeSource;
}

export type NoticeLevel = 'info' | 'warn' | 'error';

/** Something the display and the log should say (stable `code`, human `message`). */
export interface NoticeEffect {
  readonly type: 'notice';
  readonly level: NoticeLevel;
  readonly code: string;
  readonly message: string;
}

/** A mapping fired: the status screen shows the last one. */
export interface TriggerFiredEffect {
  readonly type: 'trigger-fired';
  /** Mode name, or null for a global mapping. */
  readonly mode: string | null;
  readonly mapping: number;
  readonly trigger: string;
  readonly description: string;
  readonly at: number;
}

/**
 * The internal clock's tick schedule changed: run (or stop) ClockTickEvents at
 * `bpm`. `restart`: tick 0 is due now (Start/Continue); otherwise keep the
 * phase and re-time from the last tick (a tempo change mid-bar).
 */
export interface ClockScheduleEffect {
  readonly type: 'clock-schedule';
  readonly running: boolean;
  readonly bpm: number;
  readonly restart: boolean;
}

/** Tempo, transport, lock or source changed, or a beat passed (display beat indicator, status). */
export interface TempoChangedEffect {
  readonly type: 'tempo-changed';
  readonly cause: 'tempo' | 'transport' | 'source' | 'lock' | 'beat';
  readonly tempo: TempoInfo;
}

/**
 * The setlist position changed (a song was selected, or a reload moved it):
 * persist it and show it. `index` is 0-based; null: no song chosen (the
 * setlist was removed). Emitted before the song's mode change.
 */
export interface SetlistChangedEffect {
  readonly type: 'setlist-changed';
  readonly index: number | null;
  readonly name: string | null;
  readonly mode: string | null;
  readonly count: number;
  readonly previous: number | null;
  readonly source: ModeChangeSource;
}

export type EngineEffect =
  | MidiOutEffect
  | PluginCallEffect
  | ScheduleTimerEffect
  | CancelTimerEffect
  | ModeChangedEffect
  | NoticeEffect
  | TriggerFiredEffect
  | ClockScheduleEffect
  | TempoChangedEffect
  | SetlistChangedEffect;

/** Read-only view for the status screen, `midimon status` and tests. */
export interface EngineSnapshot {
  readonly modeIndex: number;
  readonly modeName: string;
  readonly modeNames: readonly string[];
  /** Notes currently held on outputs, as "output|channel|note" keys, per owner ("mode:X", "route:Y", "global", "plugin:Z"). */
  readonly heldNotes: Readonly<Record<string, readonly string[]>>;
  readonly activeRoutes: readonly string[];
  readonly pendingTimers: number;
  /** Output channels the box has sent to (what a panic covers). */
  readonly usedChannels: number;
  readonly tempo: TempoInfo;
  /** Present when the config has a [setlist]. */
  readonly setlist?: SetlistSnapshot;
}

export interface SetlistSnapshot {
  /** 0-based; null until a song is selected for the first time. */
  readonly position: number | null;
  readonly songs: readonly { readonly name: string; readonly mode: string }[];
}
