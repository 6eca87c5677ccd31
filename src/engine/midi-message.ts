/**
 * MIDI 1.0 byte-level helpers: classify a message once so triggers and routes
 * never re-parse, build outgoing messages, and the value curves and encoder
 * decodings the config names.
 */
import type { EncoderEncoding, RouteMessageType, VelocityCurve } from './config-types.js';

export type ParsedMidi =
  | { kind: 'note_on'; channel: number; note: number; velocity: number }
  | { kind: 'note_off'; channel: number; note: number; velocity: number }
  | { kind: 'poly_aftertouch'; channel: number; note: number; value: number }
  | { kind: 'cc'; channel: number; cc: number; value: number }
  | { kind: 'program_change'; channel: number; program: number }
  | { kind: 'channel_aftertouch'; channel: number; value: number }
  /** value: signed, -8192..8191. */
  | { kind: 'pitch_bend'; channel: number; value: number }
  | { kind: 'sysex' }
  | { kind: 'clock' }
  | { kind: 'active_sensing' }
  | { kind: 'system' }
  | { kind: 'invalid' };

/** Channels are 1-16 everywhere outside this file. A note-on with velocity 0 is a note-off. */
export function parseMidi(bytes: readonly number[]): ParsedMidi {
  const status = bytes[0];
  if (status === undefined || status < 0x80 || status > 0xff) return { kind: 'invalid' };
  const d1 = bytes[1] ?? -1;
  const d2 = bytes[2] ?? -1;
  if (status >= 0xf0) {
    if (status === 0xf0) return { kind: 'sysex' };
    if (status === 0xf8 || status === 0xfa || status === 0xfb || status === 0xfc) return { kind: 'clock' };
    if (status === 0xfe) return { kind: 'active_sensing' };
    return { kind: 'system' };
  }
  const channel = (status & 0x0f) + 1;
  const two = (d1 & 0x80) === 0 && d1 >= 0;
  const three = two && (d2 & 0x80) === 0 && d2 >= 0;
  switch (status & 0xf0) {
    case 0x90:
      if (!three) return { kind: 'invalid' };
      return d2 === 0 ? { kind: 'note_off', channel, note: d1, velocity: 0 } : { kind: 'note_on', channel, note: d1, velocity: d2 };
    case 0x80:
      return three ? { kind: 'note_off', channel, note: d1, velocity: d2 } : { kind: 'invalid' };
    case 0xa0:
      return three ? { kind: 'poly_aftertouch', channel, note: d1, value: d2 } : { kind: 'invalid' };
    case 0xb0:
      return three ? { kind: 'cc', channel, cc: d1, value: d2 } : { kind: 'invalid' };
    case 0xc0:
      return two ? { kind: 'program_change', channel, program: d1 } : { kind: 'invalid' };
    case 0xd0:
      return two ? { kind: 'channel_aftertouch', channel, value: d1 } : { kind: 'invalid' };
    default: // 0xe0
      return three ? { kind: 'pitch_bend', channel, value: ((d2 << 7) | d1) - 8192 } : { kind: 'invalid' };
  }
}

/** The route filter category of a parsed message. */
export function routeType(m: ParsedMidi): RouteMessageType | null {
  switch (m.kind) {
    case 'note_on':
    case 'note_off':
      return 'note';
    case 'invalid':
      return null;
    default:
      return m.kind;
  }
}

/** Expected length of a channel/system-common message by status byte; 0 = variable (sysex), -1 = not a status. */
export function messageLength(status: number): number {
  if (status < 0x80 || status > 0xff) return -1;
  if (status === 0xf0) return 0;
  if (status >= 0xf8 || status === 0xf6 || status === 0xf7) return 1;
  if (status === 0xf1 || status === 0xf3) return 2;
  if (status === 0xf2) return 3;
  if (status >= 0xf4) return 1;
  const hi = status & 0xf0;
  return hi === 0xc0 || hi === 0xd0 ? 2 : 3;
}

/** Splits a byte string (a plugin's midi_send) into whole messages; null if malformed. */
export function splitMessages(bytes: readonly number[]): number[][] | null {
  const out: number[][] = [];
  let i = 0;
  while (i < bytes.length) {
    const status = bytes[i] as number;
    if (!Number.isInteger(status)) return null;
    const len = messageLength(status);
    if (len < 0) return null;
    if (len === 0) {
      const end = bytes.indexOf(0xf7, i);
      if (end < 0) return null;
      // Inside a SysEx only data bytes: a status byte there means the message was cut or spliced.
      for (let k = i + 1; k < end; k++) if (((bytes[k] as number) & 0x80) !== 0 || (bytes[k] as number) < 0) return null;
      out.push(bytes.slice(i, end + 1) as number[]);
      i = end + 1;
      continue;
    }
    if (i + len > bytes.length) return null;
    const msg = bytes.slice(i, i + len) as number[];
    for (let k = 1; k < msg.length; k++) if (((msg[k] as number) & 0x80) !== 0 || (msg[k] as number) < 0) return null;
    out.push(msg);
    i += len;
  }
  return out;
}

const clamp7 = (v: number) => Math.max(0, Math.min(127, Math.round(v)));

export const noteOn = (channel: number, note: number, velocity: number): number[] => [0x90 | (channel - 1), note & 0x7f, clamp7(velocity)];
export const noteOff = (channel: number, note: number, velocity = 0): number[] => [0x80 | (channel - 1), note & 0x7f, clamp7(velocity)];
export const controlChange = (channel: number, cc: number, value: number): number[] => [0xb0 | (channel - 1), cc & 0x7f, clamp7(value)];
export const programChange = (channel: number, program: number): number[] => [0xc0 | (channel - 1), clamp7(program)];
export const channelAftertouch = (channel: number, value: number): number[] => [0xd0 | (channel - 1), clamp7(value)];
export const polyAftertouch = (channel: number, note: number, value: number): number[] => [0xa0 | (channel - 1), note & 0x7f, clamp7(value)];
export function pitchBend(channel: number, signed: number): number[] {
  const v = Math.max(0, Math.min(16383, Math.round(signed) + 8192));
  return [0xe0 | (channel - 1), v & 0x7f, v >> 7];
}

/**
 * Maps 0..127 to 0..127. `exponential` (x^2) makes soft playing softer,
 * `logarithmic` (sqrt) makes it louder, `s-curve` (smoothstep) compresses both
 * ends. Any non-zero input stays >= 1 so a curved note-on never turns into a
 * note-off.
 */
export function applyCurve(value: number, curve: VelocityCurve | undefined): number {
  if (curve === undefined || curve === 'linear') return clamp7(value);
  const x = Math.max(0, Math.min(127, value)) / 127;
  let y: number;
  switch (curve) {
    case 'exponential':
      y = x * x;
      break;
    case 'logarithmic':
      y = Math.sqrt(x);
      break;
    case 's-curve':
      y = x * x * (3 - 2 * x);
      break;
  }
  const out = clamp7(y * 127);
  return value > 0 && out === 0 ? 1 : out;
}

/** Relative encoder value -> signed delta (see ENCODER_ENCODINGS in the schema). */
export function decodeEncoder(value: number, encoding: EncoderEncoding): number {
  switch (encoding) {
    case 'twos-complement':
      return value < 64 ? value : value - 128;
    case 'signed-bit':
      return value & 0x40 ? -(value & 0x3f) : value & 0x3f;
    case 'offset-64':
      return value - 64;
  }
}
