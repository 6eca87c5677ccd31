/**
 * The engine's part of the config file: modes and their mappings, global
 * mappings, thru routes, timing windows and mode switching. The config loader
 * (src/config/) spreads `engineConfigShape` into the top-level strict object,
 * so every key here is a top-level TOML table/array. Cross-references (a
 * ModeChange to a mode that does not exist, a Plugin action naming an unknown
 * plugin) cannot be expressed per field and live in `checkEngineReferences`.
 */
import { z } from 'zod';
import { splitMessages } from '../engine/midi-message.js';
import { sysexPatternField, sysexTemplateField, checkSysexMapping, checkSysexMacro, DEFAULT_SYSEX_MAX_BYTES, SYSEX_MAX_BYTES_LIMIT } from './sysex-schema.js';
import {
  BEAT_DIVISIONS,
  CLOCK_COMMANDS,
  CLOCK_SOURCES,
  ENCODER_ENCODINGS,
  ROUTE_MESSAGE_TYPES,
  VELOCITY_CURVES,
  type Action,
  type Condition,
  type EngineConfig as EngineConfigType,
} from '../engine/config-types.js';

export { ENCODER_ENCODINGS, ROUTE_MESSAGE_TYPES, VELOCITY_CURVES } from '../engine/config-types.js';
export type {
  Action,
  Condition,
  EncoderEncoding,
  Mapping,
  Mode,
  ModeSwitching,
  Route,
  RouteMessageType,
  SendMidiAction,
  Timing,
  Trigger,
  TriggerType,
  VelocityCurve,
} from '../engine/config-types.js';

const int = (min: number, max: number, what: string) =>
  z
    .number({ error: `expected ${what} (a whole number ${min}-${max})` })
    .int({ error: `expected ${what} to be a whole number` })
    .min(min, { error: `${what} must be >= ${min}` })
    .max(max, { error: `${what} must be <= ${max}` });

const noteNum = int(0, 127, 'a MIDI note number');
const data7 = int(0, 127, 'a 7-bit MIDI value');
const channelNum = int(1, 16, 'a MIDI channel');
const durationMs = (what: string) =>
  z
    .number({ error: `expected ${what} in milliseconds` })
    .int({ error: `${what} must be a whole number of milliseconds` })
    .min(0, { error: `${what} must be >= 0 ms` })
    .max(3_600_000, { error: `${what} must be <= 3600000 ms` });
/** One channel or a list of channels; absent means any channel. */
const channelFilter = z.union([channelNum, z.array(channelNum).min(1)]).optional();
/** Device name pattern: `*`/`?` glob, or a plain case-insensitive substring. */
const devicePattern = z.string().min(1, { error: 'a device name pattern must not be empty' });

const curve = z.enum(VELOCITY_CURVES);


// ---------------------------------------------------------------- triggers

const midiTriggerBase = { channel: channelFilter, device: devicePattern.optional() };

const noteTrigger = z
  .strictObject({
    type: z.literal('Note'),
    note: noteNum,
    velocity_min: int(1, 127, 'velocity_min').default(1),
    ...midiTriggerBase,
    /** With it the trigger covers every key from `note` to `note_max`. */
    note_max: noteNum.optional(),
  })
  .refine((t) => t.note_max === undefined || t.note_max >= t.note, { error: 'note_max must not be below note', path: ['note_max'] });
const velocityRangeTrigger = z
  .strictObject({
    type: z.literal('VelocityRange'),
    note: noteNum,
    /** Named band (bounds from [timing] velocity_soft_max / velocity_medium_max), or explicit min/max. */
    band: z.enum(['soft', 'medium', 'hard']).optional(),
    min_velocity: int(1, 127, 'min_velocity').optional(),
    max_velocity: int(1, 127, 'max_velocity').optional(),
    ...midiTriggerBase,
  })
  // Neither a band nor a bound would match every velocity: that is a Note trigger, or a forgotten key.
  .refine((t) => t.band !== undefined || t.min_velocity !== undefined || t.max_velocity !== undefined, {
    error: 'a VelocityRange needs band = "soft" | "medium" | "hard", or min_velocity and/or max_velocity',
    path: ['band'],
  });
const longPressTrigger = z.strictObject({
  type: z.literal('LongPress'),
  note: noteNum,
  hold_ms: durationMs('hold_ms').optional(),
  ...midiTriggerBase,
});
const doubleTapTrigger = z.strictObject({
  type: z.literal('DoubleTap'),
  note: noteNum,
  window_ms: durationMs('window_ms').optional(),
  ...midiTriggerBase,
});
const noteChordTrigger = z.strictObject({
  type: z.literal('NoteChord'),
  notes: z.array(noteNum).min(2, { error: 'a chord needs at least 2 notes' }).max(10),
  window_ms: durationMs('window_ms').optional(),
  ...midiTriggerBase,
});
const ccTrigger = z.strictObject({
  type: z.literal('CC'),
  cc: data7,
  min_value: data7.default(0),
  max_value: data7.default(127),
  ...midiTriggerBase,
});
const encoderTrigger = z.strictObject({
  type: z.literal('EncoderTurn'),
  cc: data7,
  encoding: z.enum(ENCODER_ENCODINGS).default('twos-complement'),
  direction: z.enum(['cw', 'ccw', 'any']).default('any'),
  ...midiTriggerBase,
});
const programChangeTrigger = z.strictObject({
  type: z.literal('ProgramChange'),
  /** Absent: any program. */
  program: data7.optional(),
  ...midiTriggerBase,
});
const pitchBendTrigger = z.strictObject({
  type: z.literal('PitchBend'),
  /** Signed bend value, -8192..8191 (0 = centre). */
  min_value: int(-8192, 8191, 'a pitch bend value').default(-8192),
  max_value: int(-8192, 8191, 'a pitch bend value').default(8191),
  ...midiTriggerBase,
});
const aftertouchTrigger = z.strictObject({
  type: z.literal('Aftertouch'),
  /** `channel` (0xD0), `poly` (0xA0, optionally one note), or `any`. */
  kind: z.enum(['channel', 'poly', 'any']).default('any'),
  note: noteNum.optional(),
  min_value: data7.default(0),
  max_value: data7.default(127),
  ...midiTriggerBase,
});
const footswitchTrigger = z.strictObject({
  type: z.literal('Footswitch'),
  switch: z.string().min(1, { error: 'switch name must not be empty' }),
  gesture: z.enum(['press', 'long', 'double', 'release']).default('press'),
});

const beatTrigger = z.strictObject({
  type: z.literal('Beat'),
  /** Musical division at 24 PPQN ("1/4" = every beat, "bar" = every downbeat); fires while the clock runs. */
  division: z.enum(Object.keys(BEAT_DIVISIONS) as [keyof typeof BEAT_DIVISIONS, ...(keyof typeof BEAT_DIVISIONS)[]], {
    error: `expected a division: ${Object.keys(BEAT_DIVISIONS).join(', ')}`,
  }).default('1/4').meta({ description: 'Fires on this division of the song position while the clock runs: 1/4 = every beat, 1/8T = eighth triplets, bar = every downbeat.' }),
});

const sysexTrigger = z.strictObject({
  type: z.literal('SysEx'),
  pattern: sysexPatternField.meta({
    description:
      'SysEx to match, F0 first and F7 last: hex bytes (7E or 0x7E), ?? = any one byte, $name or $name:N = capture N bytes (default 1) for the action, * = any number of bytes (once). A string ("F0 7E ?? 06 02 $id:2 * F7") or an array (["F0", 0x7E, "??", "*", "F7"]).',
  }),
  device: devicePattern.optional(),
});

export const TRIGGER_TYPES = [
  'Note',
  'VelocityRange',
  'LongPress',
  'DoubleTap',
  'NoteChord',
  'CC',
  'EncoderTurn',
  'ProgramChange',
  'PitchBend',
  'Aftertouch',
  'Footswitch',
  'Beat',
  'SysEx',
] as const;

export const triggerSchema = z.discriminatedUnion(
  'type',
  [
    noteTrigger,
    velocityRangeTrigger,
    longPressTrigger,
    doubleTapTrigger,
    noteChordTrigger,
    ccTrigger,
    encoderTrigger,
    programChangeTrigger,
    pitchBendTrigger,
    aftertouchTrigger,
    footswitchTrigger,
    beatTrigger,
    sysexTrigger,
  ],
  { error: `unknown trigger type; expected one of ${TRIGGER_TYPES.join(', ')}` },
);

// ----------------------------------------------------------------- actions

/** A fixed value, or "pass" to reuse the trigger's value (velocity, CC value, ...). */
const passOr = (schema: z.ZodNumber) => z.union([schema, z.literal('pass')]);
const outputPattern = devicePattern.optional();
const sendBase = { type: z.literal('SendMidi'), output: outputPattern, channel: channelNum.default(1) };

/** A note-on with velocity 0 is a note-off on the wire: refuse it where a note-on is meant. */
const noteOnVelocity = passOr(int(1, 127, 'a note-on velocity (0 would be a note-off: use message = "note_off")'));

const sendNoteOn = z.strictObject({
  ...sendBase,
  message: z.literal('note_on'),
  note: passOr(noteNum),
  velocity: noteOnVelocity.default('pass'),
  curve: curve.optional(),
});
const sendNoteOff = z.strictObject({
  ...sendBase,
  message: z.literal('note_off'),
  note: passOr(noteNum),
  velocity: data7.default(0),
});
/** Note on now, note off after duration_ms, or when the triggering note is released. */
const sendNote = z.strictObject({
  ...sendBase,
  message: z.literal('note'),
  note: passOr(noteNum),
  velocity: noteOnVelocity.default('pass'),
  curve: curve.optional(),
  duration_ms: durationMs('duration_ms').optional(),
});
const sendCc = z.strictObject({
  ...sendBase,
  message: z.literal('cc'),
  cc: data7,
  value: passOr(data7).default('pass'),
  curve: curve.optional(),
});
const sendProgram = z.strictObject({
  ...sendBase,
  message: z.literal('program_change'),
  program: passOr(data7),
});
const sendPitchBend = z.strictObject({
  ...sendBase,
  message: z.literal('pitch_bend'),
  value: passOr(int(-8192, 8191, 'a pitch bend value')).default('pass'),
});
const sendAftertouch = z.strictObject({
  ...sendBase,
  message: z.literal('aftertouch'),
  value: passOr(data7).default('pass'),
  curve: curve.optional(),
});
const sendPolyAftertouch = z.strictObject({
  ...sendBase,
  message: z.literal('poly_aftertouch'),
  note: passOr(noteNum),
  value: passOr(data7).default('pass'),
  curve: curve.optional(),
});
const sendRaw = z.strictObject({
  type: z.literal('SendMidi'),
  output: outputPattern,
  message: z.literal('raw'),
  bytes: z
    .array(int(0, 255, 'a byte'))
    .min(1, { error: 'raw bytes must not be empty' })
    .max(256)
    // Whole messages only: [0x41, 0x90] would reach the synth as garbage (a data byte, then half a note-on).
    .refine((bytes) => splitMessages(bytes) !== null, {
      error: 'raw bytes must be whole MIDI messages: each a status byte (0x80-0xFF) followed by its data bytes (0x00-0x7F), SysEx as 0xF0 ... 0xF7',
    }),
});

const sendSysex = z.strictObject({
  type: z.literal('SendMidi'),
  output: outputPattern,
  message: z.literal('sysex'),
  bytes: sysexTemplateField.meta({
    description:
      'The SysEx to send, F0 first and F7 last: hex bytes and $values from the trigger ($name of a SysEx capture, $note, $velocity, $cc, $value; $value:2 = 14 bits MSB first). Values outside 00-7F are refused at load where fixed, and dropped with a notice when they come from the trigger.',
  }),
});

export const SEND_MIDI_MESSAGES = [
  'note_on',
  'note_off',
  'note',
  'cc',
  'program_change',
  'pitch_bend',
  'aftertouch',
  'poly_aftertouch',
  'raw',
  'sysex',
] as const;

const sendMidiAction = z.discriminatedUnion(
  'message',
  [sendNoteOn, sendNoteOff, sendNote, sendCc, sendProgram, sendPitchBend, sendAftertouch, sendPolyAftertouch, sendRaw, sendSysex],
  { error: `unknown SendMidi message; expected one of ${SEND_MIDI_MESSAGES.join(', ')}` },
);

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, { error: 'expected a time of day "HH:MM" (00:00-23:59)' });

export const CONDITION_TYPES = ['ModeIs', 'TimeRange', 'And', 'Or', 'Not'] as const;

export const conditionSchema: z.ZodType<Condition> = z.lazy(() =>
  z.discriminatedUnion(
    'type',
    [
      z.strictObject({ type: z.literal('ModeIs'), mode: z.string().min(1) }),
      /** Local wall-clock window; start > end wraps midnight. */
      z.strictObject({ type: z.literal('TimeRange'), start: hhmm, end: hhmm }),
      z.strictObject({ type: z.literal('And'), conditions: z.array(conditionSchema).min(1) }),
      z.strictObject({ type: z.literal('Or'), conditions: z.array(conditionSchema).min(1) }),
      z.strictObject({ type: z.literal('Not'), condition: conditionSchema }),
    ],
    { error: `unknown condition type; expected one of ${CONDITION_TYPES.join(', ')}` },
  ),
);

export const ACTION_TYPES = ['SendMidi', 'ModeChange', 'Plugin', 'Sequence', 'Delay', 'Repeat', 'Conditional', 'Panic', 'Tempo', 'Clock', 'SetlistNext', 'SetlistPrev', 'SetlistGoto'] as const;

/** BPM 20-300 with at most one decimal (0.1 resolution). */
const bpmValue = (what: string) =>
  z
    .number({ error: `expected ${what} in BPM (20-300)` })
    .min(20, { error: `${what} must be >= 20 BPM` })
    .max(300, { error: `${what} must be <= 300 BPM` })
    .refine((v) => Math.abs(v * 10 - Math.round(v * 10)) < 1e-6, { error: `${what} has 0.1 BPM resolution (e.g. 120.5)` });

const tempoAction = z
  .strictObject({
    type: z.literal('Tempo'),
    bpm: bpmValue('bpm').optional().meta({ description: 'Set the tempo (BPM, 0.1 steps).' }),
    nudge: z
      .number({ error: 'expected nudge in BPM (e.g. 1 or -0.5)' })
      .min(-280)
      .max(280)
      .refine((v) => v !== 0 && Math.abs(v * 10 - Math.round(v * 10)) < 1e-6, { error: 'nudge must be a non-zero multiple of 0.1 BPM' })
      .optional()
      .meta({ description: 'Change the tempo by this many BPM (negative: slower).' }),
    tap: z.boolean().optional().meta({ description: 'true: tap tempo (the average of the last taps; a pause starts over).' }),
  })
  .refine((a) => [a.bpm, a.nudge, a.tap === true ? true : undefined].filter((v) => v !== undefined).length === 1 && a.tap !== false, {
    error: 'a Tempo action needs exactly one of bpm (set), nudge (+/- BPM) or tap = true',
  });

export const actionSchema: z.ZodType<Action> = z.lazy(() =>
  z.discriminatedUnion(
    'type',
    [
      sendMidiAction,
      z.strictObject({ type: z.literal('ModeChange'), mode: z.string().min(1, { error: 'mode must not be empty' }) }),
      z.strictObject({
        type: z.literal('Plugin'),
        plugin: z.string().min(1, { error: 'plugin name must not be empty' }),
        action: z.string().min(1, { error: 'plugin action must not be empty' }),
        params: z.record(z.string(), z.unknown()).optional(),
      }),
      z.strictObject({ type: z.literal('Sequence'), actions: z.array(actionSchema).min(1).max(256) }),
      z.strictObject({ type: z.literal('Delay'), ms: durationMs('delay') }),
      z.strictObject({
        type: z.literal('Repeat'),
        action: actionSchema,
        count: int(1, 1000, 'repeat count'),
        interval_ms: durationMs('interval_ms').default(0),
      }),
      z.strictObject({
        type: z.literal('Conditional'),
        condition: conditionSchema,
        then: actionSchema,
        else: actionSchema.optional(),
      }),
      /** All notes off + sustain off on every output channel the box used. */
      z.strictObject({ type: z.literal('Panic') }),
      tempoAction,
      z.strictObject({
        type: z.literal('Clock'),
        command: z
          .enum(CLOCK_COMMANDS, { error: `expected a clock command: ${CLOCK_COMMANDS.join(', ')}` })
          .meta({ description: 'Transport of the internal clock: start (FA, from the top), stop (FC), continue (SPP + FB), toggle (stop / continue).' }),
      }),
      z.strictObject({ type: z.literal('SetlistNext') }),
      z.strictObject({ type: z.literal('SetlistPrev') }),
      z.strictObject({
        type: z.literal('SetlistGoto'),
        song: z
          .union([int(1, 1000, 'a song number'), z.string().min(1, { error: 'song name must not be empty' })], { error: 'expected a song number (1 = the first) or a song name' })
          .meta({ description: 'Song number as people count (1 = the first song), or its name.' }),
      }),
    ],
    { error: `unknown action type; expected one of ${ACTION_TYPES.join(', ')}` },
  ),
);

// ------------------------------------------------------- mappings and modes

export const mappingSchema = z
  .strictObject({
    description: z.string().optional(),
    enabled: z.boolean().default(true),
    trigger: triggerSchema,
    action: actionSchema,
  })
  // A SendMidi sysex's $values must be ones this trigger provides.
  .superRefine((m, ctx) => checkSysexMapping(m.trigger, m.action, ctx));

export const modeSchema = z.strictObject({
  name: z.string().min(1, { error: 'mode name must not be empty' }).max(32),
  description: z.string().optional(),
  mappings: z.array(mappingSchema).default([]),
  /** Entering this mode sets the internal clock's tempo (BPM). */
  tempo: bpmValue('tempo').optional().meta({ description: 'Entering this mode sets the internal clock to this tempo (BPM, 0.1 steps); the clock keeps running.' }),
  on_enter: z
    .array(actionSchema)
    .max(256)
    .optional()
    .meta({ description: 'Song macro: actions run in order whenever this mode is entered (footswitch, Program Change, CLI, menu, reload, start), after the `tempo`; e.g. Bank Select + Program Change to several devices. No ModeChange.' })
    .superRefine((actions, ctx) => checkSysexMacro(actions ?? [], ctx)),
  on_exit: z
    .array(actionSchema)
    .max(256)
    .optional()
    .meta({ description: 'Actions run in order whenever this mode is left, before the next mode\'s `on_enter`. No ModeChange.' })
    .superRefine((actions, ctx) => checkSysexMacro(actions ?? [], ctx)),
});

export const routeSchema = z.strictObject({
  name: z.string().min(1, { error: 'route name must not be empty' }),
  /** Input name pattern, or `plugin:NAME` for a plugin's midi_send. */
  from: devicePattern,
  to: devicePattern,
  enabled: z.boolean().default(true),
  /** Modes in which the route is active; absent means every mode. */
  modes: z.array(z.string().min(1)).min(1).optional(),
  // filters
  channels: z.array(channelNum).min(1).optional(),
  /** Message types passed; absent means all (subject to the drop_* switches). */
  types: z.array(z.enum(ROUTE_MESSAGE_TYPES)).min(1).optional(),
  drop_clock: z.boolean().default(false),
  drop_active_sensing: z.boolean().default(true),
  // transforms
  to_channel: channelNum.optional(),
  transpose: int(-127, 127, 'transpose').default(0),
  velocity_curve: curve.optional(),
});

export const timingSchema = z
  .strictObject({
    long_press_ms: durationMs('long_press_ms').default(600),
    double_tap_ms: durationMs('double_tap_ms').default(300),
    chord_window_ms: durationMs('chord_window_ms').default(50),
    /** Length of a SendMidi "note" that has no duration and no held trigger note. */
    note_duration_ms: durationMs('note_duration_ms').default(200),
    velocity_soft_max: int(1, 126, 'velocity_soft_max').default(40),
    velocity_medium_max: int(1, 126, 'velocity_medium_max').default(90),
  })
  .prefault({});

export const modeSwitchingSchema = z
  .strictObject({
    /** Mode at first start (later starts restore the persisted mode). Default: the first mode. */
    initial_mode: z.string().min(1).optional(),
    /** Program Change on this channel selects mode by index (program 0 = first mode). Absent: off. */
    program_change_channel: channelNum.optional(),
    /** Only Program Changes from inputs matching this pattern switch modes. */
    program_change_device: devicePattern.optional(),
  })
  .prefault({});

export const clockSchema = z
  .strictObject({
    /** "internal": the box is the master clock; "external": follow the clock arriving on `input`. */
    source: z.enum(CLOCK_SOURCES).default('internal').meta({ description: '"internal": the box is the master clock; "external": follow the MIDI clock arriving on `input` (also switchable in the menu and with `midimon tempo source`).' }),
    bpm: bpmValue('bpm').default(120).meta({ description: 'Internal tempo at start (a mode\'s `tempo` overrides it). Changing it in the file applies on reload; otherwise taps and actions keep their tempo across reloads.' }),
    /** Outputs (patterns or aliases) that get the master clock; empty: the clock goes nowhere. */
    outputs: z.array(devicePattern).default([]).meta({ description: 'Outputs (patterns or aliases) that get the clock: F8 ticks, Start/Stop/Continue and Song Position Pointer. Empty: the clock is sent nowhere (Beat triggers still fire).' }),
    /** Input to follow when source = "external"; absent: clock from any input. */
    input: devicePattern.optional().meta({ description: 'source = "external": the input whose clock is followed. Absent: clock from any input.' }),
    /** source = "external": pass the followed clock and start/stop on to `outputs`. */
    thru: z.boolean().default(false).meta({ description: 'source = "external": pass the followed clock, start/stop and song position on to `outputs`.' }),
    /** The internal clock starts (sends Start) when the box starts. */
    autostart: z.boolean().default(false).meta({ description: 'Start the internal clock (send Start) when the box starts.' }),
    beats_per_bar: int(1, 32, 'beats_per_bar').default(4).meta({ description: 'Bar length for bar counting and `Beat` triggers with division "bar".' }),
    /** Tap tempo: average of the last N tap intervals. */
    tap_average: int(1, 16, 'tap_average').default(4).meta({ description: 'Tap tempo: average of the last N intervals between taps.' }),
    /** Tap tempo: a pause longer than this starts over. */
    tap_reset_ms: int(500, 10_000, 'tap_reset_ms').default(2000).meta({ description: 'Tap tempo: a pause longer than this starts a new series of taps.' }),
  })
  .prefault({})
  .meta({ description: 'Tempo and MIDI clock: the box as master clock (24 PPQN) or following an external clock. See docs/engine.md, "Tempo and MIDI clock".' });

const setlistSong = z.strictObject({
  mode: z.string().min(1, { error: 'mode must not be empty' }).meta({ description: 'The mode the song switches to (its on_enter runs each time the song is selected).' }),
  name: z.string().min(1).max(48).optional().meta({ description: 'Shown large on the status screen; default: the mode name.' }),
});

export const setlistSchema = z
  .strictObject({
    songs: z.array(setlistSong).min(1, { error: 'a setlist needs at least one song' }).max(1000).meta({ description: 'Songs in playing order, each { mode = "...", name = "..." }; a mode may appear in several songs.' }),
    wrap: z.boolean().default(false).meta({ description: 'Next on the last song goes to the first (prev on the first to the last). Default: stay on the last / first song.' }),
    program_change_channel: channelNum.optional().meta({ description: 'Program Change n on this channel selects song n+1 (PC is 0-based on the wire: PC 0 = song 1). Absent: off.' }),
    program_change_device: devicePattern.optional().meta({ description: 'Only Program Changes from inputs matching this pattern select songs.' }),
  })
  .optional()
  .meta({ description: 'An ordered list of songs (modes) with names shown large on the OLED; next/prev by SetlistNext/SetlistPrev actions, jumps by Program Change, the menu or `midimon setlist`. See docs/engine.md, "Setlists".' });

export const sysexSchema = z
  .strictObject({
    max_bytes: z
      .number({ error: 'expected max_bytes, a number of bytes' })
      .int({ error: 'max_bytes must be a whole number of bytes' })
      .min(64, { error: 'max_bytes must be >= 64' })
      .max(SYSEX_MAX_BYTES_LIMIT, { error: `max_bytes must be <= ${SYSEX_MAX_BYTES_LIMIT} (16 MiB)` })
      .default(DEFAULT_SYSEX_MAX_BYTES)
      .meta({
        description: `Largest SysEx message (F0 to F7 inclusive) the box accepts from an input, routes, matches or sends. A larger one is dropped whole (never truncated) with a notice (log, display, \`midimon monitor\`). Default ${DEFAULT_SYSEX_MAX_BYTES} (256 KiB).`,
      }),
  })
  .prefault({})
  .meta({ description: 'SysEx handling. See docs/engine.md, "SysEx".' });

/** Spread into the top-level config object by the config loader. */
export const engineConfigShape = {
  modes: z.array(modeSchema).min(1, { error: 'at least one mode is required' }),
  global_mappings: z.array(mappingSchema).default([]),
  routes: z.array(routeSchema).default([]),
  timing: timingSchema,
  mode_switching: modeSwitchingSchema,
  clock: clockSchema,
  setlist: setlistSchema,
  sysex: sysexSchema,
};

export const engineConfigSchema = z.strictObject(engineConfigShape);
export type EngineConfig = EngineConfigType;
export type EngineConfigInput = z.input<typeof engineConfigSchema>;

// Compile-time proof that the schema produces exactly the engine's types.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const schemaMatchesEngineTypes: Same<z.output<typeof engineConfigSchema>, EngineConfigType> = true;
void schemaMatchesEngineTypes;

export { checkEngineReferences, type ReferenceIssue } from '../engine/config-references.js';

