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
  | { type: 'Footswitch'; switch: string; gesture: 'press' | 'long' | 'double' | 'release' };

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
  | { type: 'SendMidi'; output?: string | undefined; message: 'raw'; bytes: number[] };

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
  | { type: 'Panic' };

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
}
