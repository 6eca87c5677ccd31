/**
 * Which notes each owner ("mode:NAME", "global", "route:NAME") has turned on
 * and not yet off, keyed by output pattern, channel and note *after*
 * transforms: what the synth actually heard. Releasing an owner yields the
 * note-offs that prevent stuck notes.
 */
import { noteOff } from './midi-message.js';
import type { MidiOutEffect } from './types.js';

interface Held {
  readonly output: string;
  readonly channel: number;
  readonly note: number;
}

export class NoteTracker {
  readonly #byOwner = new Map<string, Map<string, Held>>();

  /** Observe an outgoing message; note-ons are remembered, note-offs forgotten. */
  observe(owner: string, output: string, bytes: readonly number[]): void {
    const status = bytes[0];
    if (status === undefined || bytes.length < 3) return;
    const hi = status & 0xf0;
    if (hi !== 0x90 && hi !== 0x80) return;
    const channel = (status & 0x0f) + 1;
    const note = bytes[1] as number;
    const key = `${output}|${channel}|${note}`;
    if (hi === 0x90 && (bytes[2] as number) > 0) {
      let held = this.#byOwner.get(owner);
      if (held === undefined) this.#byOwner.set(owner, (held = new Map()));
      held.set(key, { output, channel, note });
    } else {
      const held = this.#byOwner.get(owner);
      held?.delete(key);
      if (held?.size === 0) this.#byOwner.delete(owner);
    }
  }

  /** Forget everything `owner` holds and return the note-offs to send (skipping notes another owner still holds). */
  release(owner: string): MidiOutEffect[] {
    const held = this.#byOwner.get(owner);
    if (held === undefined) return [];
    this.#byOwner.delete(owner);
    const out: MidiOutEffect[] = [];
    for (const [key, h] of held) {
      if (this.#heldElsewhere(key)) continue;
      out.push({ type: 'midi-out', output: h.output, bytes: noteOff(h.channel, h.note) });
    }
    return out;
  }

  holds(owner: string, output: string, channel: number, note: number): boolean {
    return this.#byOwner.get(owner)?.has(`${output}|${channel}|${note}`) ?? false;
  }

  owners(): string[] {
    return [...this.#byOwner.keys()];
  }

  snapshot(): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const [owner, held] of this.#byOwner) out[owner] = [...held.keys()];
    return out;
  }

  #heldElsewhere(key: string): boolean {
    for (const held of this.#byOwner.values()) if (held.has(key)) return true;
    return false;
  }
}
