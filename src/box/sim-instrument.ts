/**
 * The simulated controller behind the computer keyboard, as a pure reducer:
 * (state, action) -> (state, MIDI messages). A terminal reports key presses
 * but no releases, so a piano key is a note that ends after a fixed time,
 * unless sustain is on: then it stays down (latched) until sustain goes off,
 * which is how a note can be held across a footswitch mode switch.
 */

/** A note the instrument has sounding, with where its note-on went (its note-off must go there too). */
export interface HeldNote {
  readonly device: number;
  readonly channel: number;
  readonly note: number;
}

export interface InstrumentState {
  /** Octave shift of the one-octave piano: 0 plays C4 (60) to C5 (72). */
  readonly octave: number;
  /** 1-127. */
  readonly velocity: number;
  /** 1-16, as people count. */
  readonly channel: number;
  /** Index into the simulated inputs: which configured device the keyboard plays as. */
  readonly device: number;
  /** CC1 (mod wheel), 0-127. */
  readonly mod: number;
  /** -8192..8191. */
  readonly bend: number;
  /** Channel pressure, 0-127. */
  readonly aftertouch: number;
  /** 0-127 as sent on the wire (`midimon send keys pc 5` sends the same). */
  readonly program: number;
  /** CC64 held, with where its "on" went; null: off. */
  readonly sustain: { readonly device: number; readonly channel: number } | null;
  /** Notes kept down by sustain. */
  readonly latched: readonly HeldNote[];
}

export type InstrumentAction =
  | { readonly kind: 'note'; readonly key: number }
  | { readonly kind: 'octave' | 'velocity' | 'channel' | 'device' | 'mod' | 'bend' | 'aftertouch' | 'program'; readonly by: 1 | -1 }
  | { readonly kind: 'bend-center' }
  | { readonly kind: 'sustain' };

export interface InstrumentMessage {
  readonly device: number;
  readonly bytes: readonly number[];
}

export interface InstrumentResult {
  readonly state: InstrumentState;
  /** Send now, in order. */
  readonly send: readonly InstrumentMessage[];
  /** A note to end after the fixed note length (not latched). */
  readonly release?: HeldNote;
}

export const INITIAL_INSTRUMENT: InstrumentState = {
  octave: 0,
  velocity: 100,
  channel: 1,
  device: 0,
  mod: 0,
  bend: 0,
  aftertouch: 0,
  program: 0,
  sustain: null,
  latched: [],
};

const VELOCITY_STEP = 10;
const MOD_STEP = 16;
const BEND_STEP = 1024;
const AFTERTOUCH_STEP = 16;
/** 60 + 12 * octave .. +12 must stay within 0..127. */
const OCTAVE_MIN = -5;
const OCTAVE_MAX = 4;

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));
const wrap = (v: number, n: number) => ((v % n) + n) % n;

export function noteOff(n: HeldNote): InstrumentMessage {
  return { device: n.device, bytes: [0x80 | (n.channel - 1), n.note, 0] };
}

/** `devices`: how many simulated inputs there are to play as (0: nothing is sent). */
export function reduceInstrument(state: InstrumentState, action: InstrumentAction, devices: number): InstrumentResult {
  const s = { ...state, device: devices > 0 ? wrap(state.device, devices) : 0 };
  const ch = s.channel - 1;
  const out = (bytes: number[]): InstrumentMessage[] => (devices > 0 ? [{ device: s.device, bytes }] : []);
  switch (action.kind) {
    case 'note': {
      const note = 60 + 12 * s.octave + action.key;
      if (note < 0 || note > 127 || devices === 0) return { state: s, send: [] };
      const held: HeldNote = { device: s.device, channel: s.channel, note };
      const latched = s.latched.find((n) => n.device === held.device && n.channel === held.channel && n.note === note);
      // A latched key pressed again is let go: the only way to end one note of a sustained chord.
      if (latched !== undefined) return { state: { ...s, latched: s.latched.filter((n) => n !== latched) }, send: [noteOff(latched)] };
      const send = out([0x90 | ch, note, s.velocity]);
      return s.sustain === null ? { state: s, send, release: held } : { state: { ...s, latched: [...s.latched, held] }, send };
    }
    case 'octave':
      return { state: { ...s, octave: clamp(s.octave + action.by, OCTAVE_MIN, OCTAVE_MAX) }, send: [] };
    case 'velocity':
      return { state: { ...s, velocity: clamp(s.velocity + action.by * VELOCITY_STEP, 1, 127) }, send: [] };
    case 'channel':
      return { state: { ...s, channel: wrap(s.channel - 1 + action.by, 16) + 1 }, send: [] };
    case 'device':
      return { state: { ...s, device: devices > 0 ? wrap(s.device + action.by, devices) : 0 }, send: [] };
    case 'mod': {
      const mod = clamp(s.mod + action.by * MOD_STEP, 0, 127);
      return { state: { ...s, mod }, send: out([0xb0 | ch, 1, mod]) };
    }
    case 'bend':
    case 'bend-center': {
      const bend = action.kind === 'bend-center' ? 0 : clamp(s.bend + action.by * BEND_STEP, -8192, 8191);
      const v = bend + 8192;
      return { state: { ...s, bend }, send: out([0xe0 | ch, v & 0x7f, v >> 7]) };
    }
    case 'aftertouch': {
      const aftertouch = clamp(s.aftertouch + action.by * AFTERTOUCH_STEP, 0, 127);
      return { state: { ...s, aftertouch }, send: out([0xd0 | ch, aftertouch]) };
    }
    case 'program': {
      const program = wrap(s.program + action.by, 128);
      return { state: { ...s, program }, send: out([0xc0 | ch, program]) };
    }
    case 'sustain': {
      if (s.sustain === null) {
        if (devices === 0) return { state: s, send: [] };
        return { state: { ...s, sustain: { device: s.device, channel: s.channel } }, send: out([0xb0 | ch, 64, 127]) };
      }
      // Pedal up: the pedal's own "off" where its "on" went, then every key it kept down.
      const off: InstrumentMessage = { device: s.sustain.device, bytes: [0xb0 | (s.sustain.channel - 1), 64, 0] };
      return { state: { ...s, sustain: null, latched: [] }, send: [off, ...s.latched.map(noteOff)] };
    }
  }
}

/** The keys, as the legend lists them. Piano keys map to semitones above the octave's C. */
const PIANO_KEYS = 'zsxdcvgbhnjm,';

export function instrumentAction(key: string): InstrumentAction | undefined {
  const semitone = PIANO_KEYS.indexOf(key);
  if (semitone >= 0 && key.length === 1) return { kind: 'note', key: semitone };
  switch (key) {
    case '[':
    case '{':
      return { kind: 'octave', by: -1 };
    case ']':
    case '}':
      return { kind: 'octave', by: 1 };
    case '-':
    case '_':
      return { kind: 'velocity', by: -1 };
    case '=':
    case '+':
      return { kind: 'velocity', by: 1 };
    case ';':
    case ':':
      return { kind: 'channel', by: -1 };
    case "'":
    case '"':
      return { kind: 'channel', by: 1 };
    case '\t':
      return { kind: 'device', by: 1 };
    case '\u001b[Z': // Shift-Tab
      return { kind: 'device', by: -1 };
    case '1':
      return { kind: 'mod', by: -1 };
    case '2':
      return { kind: 'mod', by: 1 };
    case '3':
      return { kind: 'bend', by: -1 };
    case '4':
      return { kind: 'bend', by: 1 };
    case '5':
      return { kind: 'bend-center' };
    case '6':
      return { kind: 'aftertouch', by: -1 };
    case '7':
      return { kind: 'aftertouch', by: 1 };
    case '8':
      return { kind: 'program', by: -1 };
    case '9':
      return { kind: 'program', by: 1 };
    case ' ':
      return { kind: 'sustain' };
    default:
      return undefined;
  }
}

/** The on-screen key legend (footswitch keys are added by the keyboard, which knows the switch names). */
export const INSTRUMENT_LEGEND: readonly string[] = [
  'piano z s x d c v g b h n j m ,   octave [ ]   velocity - =   channel ; \'   plays as: Tab / Shift-Tab',
  'mod wheel 1 2   bend 3 4 (5 = centre)   aftertouch 6 7   program 8 9   sustain Space (keeps keys down)',
];

const NAMES = ['C', 'C#', 'D', 'D#', 'E', 'F', 'F#', 'G', 'G#', 'A', 'A#', 'B'];

export function noteName(note: number): string {
  return `${NAMES[note % 12] ?? '?'}${Math.floor(note / 12) - 1}`;
}

/** One status line: what the keyboard plays as and what it would send. */
export function describeInstrument(s: InstrumentState, deviceName: string | undefined): string {
  const low = 60 + 12 * s.octave;
  return [
    `plays as ${deviceName ?? '(no input)'} ch${s.channel}`,
    `${noteName(low)}-${noteName(low + 12)} vel ${s.velocity}`,
    `mod ${s.mod} bend ${s.bend} at ${s.aftertouch} pc ${s.program}`,
    `sustain ${s.sustain === null ? 'off' : `on (${s.latched.length} held)`}`,
  ].join(' | ');
}

/**
 * Splits terminal input into keys: one character, or a whole escape sequence
 * (arrows, F-keys, Shift-Tab), so the letters inside "\e[A" or "\eOQ" never
 * play a note or press a footswitch.
 */
export function splitKeys(text: string): string[] {
  const keys: string[] = [];
  for (let i = 0; i < text.length; ) {
    const ch = text[i] as string;
    if (ch !== '\u001b') {
      const cp = text.codePointAt(i) ?? 0;
      const c = String.fromCodePoint(cp);
      keys.push(c);
      i += c.length;
      continue;
    }
    const next = text[i + 1];
    if (next === '[') {
      let j = i + 2;
      // CSI: parameter and intermediate bytes, then one final byte 0x40-0x7e.
      while (j < text.length && !/[\x40-\x7e]/.test(text[j] as string)) j++;
      keys.push(text.slice(i, j + 1));
      i = j + 1;
    } else if (next === 'O' && i + 2 < text.length) {
      keys.push(text.slice(i, i + 3));
      i += 3;
    } else if (next !== undefined && next !== '\u001b') {
      keys.push(text.slice(i, i + 2)); // Alt+key
      i += 2;
    } else {
      keys.push(ch);
      i += 1;
    }
  }
  return keys;
}
