/**
 * The engine's view of its config, as plain types. The zod schema
 * (src/config/mappings-schema.ts) produces exactly these (it asserts so at
 * compile time); they live here so the pure engine imports nothing outside
 * src/engine.
 */

export const VELOCITY_CURVES = ['linear', 'exponential', 'logarithmic', 's-curve'] as const;
export type VelocityCurve = (typeof VELOCITY_CURVES)[number];

/**
 * Relative encoder encodings (value -> delta):
 * - `twos-complement`: 1..63 = +1..+63, 127..65 = -1..-63 (value - 128). Most common ("Relative 1").
 * - `signed-bit`: bit 6 is the sign: 1..63 = +1..+63, 65..127 = -1..-63 ("sign magnitude").
 * - `offset-64`: 64 is zero: 65..127 = +1..+63, 63..0 = -1..-64 ("binary offset", "Relative 2").
 */
export const ENCODER_ENCODINGS = ['twos-complement', 'signed-bit', 'offset-64'] as const;
export type EncoderEncoding = (typeof ENCODER_ENCODINGS)[number];

export const ROUTE_MESSAGE_TYPES = [
  'note',
  'poly_aftertouch',
  'cc',
  'program_change',
  'channel_aftertouch',
  'pitch_bend',
  'sysex',
  'clock',
  'active_sensing',
  'system',
] as const;
export type RouteMessageType = (typeof ROUTE_MESSAGE_TYPES)[number];

interface MidiTriggerBase {
  /** One channel (1-16) or several; absent = any. */
  channel?: number | number[] | undefined;
  /** Input device name pattern; absent = any input. */
  device?: string | undefined;
}

export type Trigger =
  | ({ type: 'Note'; note: number; velocity_min: number; note_max?: number | undefined } & MidiTriggerBase)
  | ({
      type: 'VelocityRange';
      note: number;
      band?: 'soft' | 'medium' | 'hard' | undefined;
      min_velocity?: number | undefined;
      max_velocity?: number | undefined;
    } & MidiTriggerBase)
  | ({ type: 'LongPress'; note: number; hold_ms?: number | undefined } & MidiTriggerBase)
  | ({ type: 'DoubleTap'; note: number; window_ms?: number | undefined } & MidiTriggerBase)
  | ({ type: 'NoteChord'; notes: number[]; window_ms?: number | undefined } & MidiTriggerBase)
  | ({ type: 'CC'; cc: number; min_value: number; max_value: number } & MidiTriggerBase)
  | ({ type: 'EncoderTurn'; cc: number; encoding: EncoderEncoding; direction: 'cw' | 'ccw' | 'any' } & MidiTriggerBase)
  | ({ type: 'ProgramChange'; program?: number | undefined } & MidiTriggerBase)
  | ({ type: 'PitchBend'; min_value: number; max_value: number } & MidiTriggerBase)
  | ({ type: 'Aftertouch'; kind: 'channel' | 'poly' | 'any'; note?: number | undefined; min_value: number; max_value: number } & MidiTriggerBase)
  | { type: 'Footswitch'; switch: string; gesture: 'press' | 'long' | 'double' | 'release' }
  /** A clock tick on a musical division (internal or followed clock, while running). */
  | { type: 'Beat'; division: BeatDivision }
  /** A whole SysEx message matching `pattern` (syntax: src/engine/sysex-pattern.ts, docs/engine.md "SysEx"). */
  | { type: 'SysEx'; pattern: string | Array<string | number>; device?: string | undefined };

export type TriggerType = Trigger['type'];

/** A fixed value, or "pass" to reuse the trigger's value (note, velocity, CC value, ...). */
export type PassOr = number | 'pass';

interface SendBase {
  type: 'SendMidi';
  /** Output name pattern; absent = every open output. */
  output?: string | undefined;
  channel: number;
}

export type SendMidiAction =
  | (SendBase & { message: 'note_on'; note: PassOr; velocity: PassOr; curve?: VelocityCurve | undefined })
  | (SendBase & { message: 'note_off'; note: PassOr; velocity: number })
  | (SendBase & { message: 'note'; note: PassOr; velocity: PassOr; curve?: VelocityCurve | undefined; duration_ms?: number | undefined })
  | (SendBase & { message: 'cc'; cc: number; value: PassOr; curve?: VelocityCurve | undefined })
  | (SendBase & { message: 'program_change'; program: PassOr })
  | (SendBase & { message: 'pitch_bend'; value: PassOr })
  | (SendBase & { message: 'aftertouch'; value: PassOr; curve?: VelocityCurve | undefined })
  | (SendBase & { message: 'poly_aftertouch'; note: PassOr; value: PassOr; curve?: VelocityCurve | undefined })
  | { type: 'SendMidi'; output?: string | undefined; message: 'raw'; bytes: number[] }
  /** A SysEx message from a template: exact bytes and $values from the trigger (captures, $note, $velocity, $cc, $value). */
  | { type: 'SendMidi'; output?: string | undefined; message: 'sysex'; bytes: string | Array<string | number> };

export type Condition =
  | { type: 'ModeIs'; mode: string }
  /** Local wall-clock window "HH:MM"; start > end wraps midnight; end is exclusive. */
  | { type: 'TimeRange'; start: string; end: string }
  | { type: 'And'; conditions: Condition[] }
  | { type: 'Or'; conditions: Condition[] }
  | { type: 'Not'; condition: Condition };

export type Action =
  | SendMidiAction
  /** mode: a mode name, or "next" / "prev" (wrapping). */
  | { type: 'ModeChange'; mode: string }
  | { type: 'Plugin'; plugin: string; action: string; params?: Record<string, unknown> | undefined }
  | { type: 'Sequence'; actions: Action[] }
  /** Inside a Sequence: wait before the following actions (a timer, never blocking). */
  | { type: 'Delay'; ms: number }
  | { type: 'Repeat'; action: Action; count: number; interval_ms: number }
  | { type: 'Conditional'; condition: Condition; then: Action; else?: Action | undefined }
  /** All notes off + sustain off on every output channel the box used. */
  | { type: 'Panic' }
  /** Exactly one of: bpm (set), nudge (add, may be negative), tap (tap tempo). */
  | { type: 'Tempo'; bpm?: number | undefined; nudge?: number | undefined; tap?: boolean | undefined }
  | { type: 'Clock'; command: ClockCommand }
  /** Setlist: the next / previous song (clamped at the ends unless `[setlist] wrap = true`). */
  | { type: 'SetlistNext' }
  | { type: 'SetlistPrev' }
  /** Setlist: a song by number (1 = the first) or by name. */
  | { type: 'SetlistGoto'; song: number | string };

export interface Mapping {
  description?: string | undefined;
  enabled: boolean;
  trigger: Trigger;
  action: Action;
}

export interface Mode {
  name: string;
  description?: string | undefined;
  mappings: Mapping[];
  /** Entering the mode sets the internal clock to this tempo (BPM). */
  tempo?: number | undefined;  /** Song macro: run in order each time the mode is entered (after `tempo`). */
  on_enter?: Action[] | undefined;
  /** Run in order each time the mode is left, before the next mode's on_enter. */
  on_exit?: Action[] | undefined;
}

export interface Route {
  name: string;
  /** Input name pattern, or `plugin:NAME` for a plugin's midi_send. */
  from: string;
  to: string;
  enabled: boolean;
  modes?: string[] | undefined;
  channels?: number[] | undefined;
  types?: RouteMessageType[] | undefined;
  drop_clock: boolean;
  drop_active_sensing: boolean;
  to_channel?: number | undefined;
  transpose: number;
  velocity_curve?: VelocityCurve | undefined;
}

export interface Timing {
  long_press_ms: number;
  double_tap_ms: number;
  chord_window_ms: number;
  note_duration_ms: number;
  velocity_soft_max: number;
  velocity_medium_max: number;
}

export interface ModeSwitching {
  initial_mode?: string | undefined;
  program_change_channel?: number | undefined;
  program_change_device?: string | undefined;
}

export interface EngineConfig {
  modes: Mode[];
  global_mappings: Mapping[];
  routes: Route[];
  timing: Timing;
  mode_switching: ModeSwitching;
  clock: ClockConfig;
  /** Songs in playing order; absent: no setlist. */
  setlist?: Setlist | undefined;
  sysex: SysexConfig;
}

// ---------------------------------------------------------------- setlist

/** One song of the setlist: a mode, shown under its own name. */
export interface SetlistSong {
  mode: string;
  /** Shown large on the status screen; default: the mode's name. */
  name?: string | undefined;
}

export interface Setlist {
  songs: SetlistSong[];
  /** Next on the last song goes to the first (and prev on the first to the last); default false: stay. */
  wrap: boolean;
  /** Program Change n on this channel selects song n+1 (0-based on the wire); absent: off. */
  program_change_channel?: number | undefined;
  /** Only Program Changes from inputs matching this pattern select songs. */
  program_change_device?: string | undefined;
}

export interface SysexConfig {
  /** Largest SysEx message (F0..F7 inclusive) the box passes, matches or sends; a larger one is dropped whole with a notice. */
  max_bytes: number;
}

// ------------------------------------------------------------------ clock

export const CLOCK_SOURCES = ['internal', 'external'] as const;
export type ClockSource = (typeof CLOCK_SOURCES)[number];

export const CLOCK_COMMANDS = ['start', 'stop', 'continue', 'toggle'] as const;
export type ClockCommand = (typeof CLOCK_COMMANDS)[number];

/** Musical divisions at 24 PPQN: ticks per division (T = triplet); "bar" uses beats_per_bar. */
export const BEAT_DIVISIONS = {
  '1/1': 96,
  '1/2': 48,
  '1/4': 24,
  '1/8': 12,
  '1/16': 6,
  '1/32': 3,
  '1/2T': 32,
  '1/4T': 16,
  '1/8T': 8,
  '1/16T': 4,
  bar: 0,
} as const;
export type BeatDivision = keyof typeof BEAT_DIVISIONS;

export interface ClockConfig {
  /** Who keeps time: the box (internal master clock) or an incoming MIDI clock (external). */
  source: ClockSource;
  /** Internal tempo at start and after a reload that changes it (BPM, 20-300, 0.1 steps). */
  bpm: number;
  /** Output patterns/aliases that get the master clock (F8, FA/FB/FC, SPP); empty: none. */
  outputs: string[];
  /** Input pattern/alias to follow when source = "external"; absent: any input. */
  input?: string | undefined;
  /** source = "external": pass the followed clock and transport on to `outputs`. */
  thru: boolean;
  /** Internal clock starts running at startup (FA to the outputs). */
  autostart: boolean;
  beats_per_bar: number;
  /** Tap tempo: average of the last N tap intervals. */
  tap_average: number;
  /** Tap tempo: a pause longer than this starts a new tap series. */
  tap_reset_ms: number;
}

