import { z } from 'zod';

/**
 * `midimon send`: inject messages as if they came from a named input (a MIDI
 * input's name or alias) or a footswitch gesture. The CLI turns words into
 * bytes; the box validates every message again, then delivers it where a real
 * port or switch would (so the menu, routes and triggers all see it).
 */

const byte = z.number().int().min(0).max(255);
/** A SysEx dump up to the default sysex.max_bytes (256 KiB); the box applies the configured limit itself. */
export const MAX_SEND_MESSAGE_BYTES = 262_144;
const message = z.array(byte).min(1).max(MAX_SEND_MESSAGE_BYTES);

export const FOOTSWITCH_GESTURES = ['press', 'long', 'double', 'release'] as const;

/** Longest a single `send` may take (holds and repeats), so a typo cannot keep notes held for hours. */
export const MAX_SEND_DURATION_MS = 60_000;

export const sendRequestFields = {
  /** A MIDI input's name (pattern as configured, or the port name) or alias; for a gesture, a footswitch name. */
  input: z.string().min(1).max(128),
  /** MIDI messages sent together, each one whole message. */
  messages: z.array(message).min(1).max(16).optional(),
  /** Sent `hold_ms` after `messages` (note-offs, CC 0, bend centre). */
  release: z.array(message).min(1).max(16).optional(),
  hold_ms: z.number().int().min(0).max(MAX_SEND_DURATION_MS).optional(),
  /** A footswitch gesture instead of MIDI. */
  gesture: z.enum(FOOTSWITCH_GESTURES).optional(),
  repeat: z.number().int().min(1).max(1000).optional(),
  /** Time between the starts of repeats (default: hold + 100 ms). */
  interval_ms: z.number().int().min(0).max(MAX_SEND_DURATION_MS).optional(),
};

export interface SendResult {
  /** The device name the engine saw (without the ALSA suffix), or the footswitch name. */
  readonly input: string;
  readonly alias?: string;
  /** Messages (or gestures) delivered, releases included. */
  readonly delivered: number;
  /** From the first delivery to the last, by the box's clock. */
  readonly duration_ms: number;
}

export interface MonitorStartResult {
  readonly streaming: true;
}
