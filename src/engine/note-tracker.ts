/**
 * Which notes (and sustain pedals) each owner has turned on and not yet off,
 * keyed by output, channel and note *after* transforms: what the synth
 * actually heard. An owner is "mode:NAME", "global", "route:NAME", or a
 * plugin owner "plugin:NAME@..." (see engine.ts).
 *
 * The rules (docs/engine.md, "Stuck notes"):
 * - a note-on is counted for its owner (twice on = two note-offs owed);
 * - a note-off passes only if its owner holds that note, and then always
 *   passes, even if another owner holds the same note (never swallowed); it
 *   ends the owner's note however often it was struck (one note-off goes out
 *   per note-on, so a re-struck key never leaves a voice behind);
 * - releasing an owner yields one note-off per count still held, and CC64 0
 *   for every channel whose sustain it holds down.
 */
import { controlChange, noteOff } from './midi-message.js';
import type { MidiOutEffect } from './types.js';

interface Held {
  readonly output: string;
  readonly channel: number;
  readonly note: number;
  count: number;
}

const SUSTAIN = 64;

export class NoteTracker {
  readonly #byOwner = new Map<string, Map<string, Held>>();
  /** owner -> "output|channel" whose sustain pedal the owner holds down. */
  readonly #sustain = new Map<string, Map<string, { output: string; channel: number }>>();
  /** Every output and channel the box sent a channel message to (panic covers them). */
  readonly #used = new Map<string, { output: string; channel: number }>();

  /**
   * An outgoing message from `owner`: returns how many times to send it. 0
   * for a note-off for a note this owner does not hold; the count of note-ons
   * it ends for a note-off; 1 for everything else (recorded).
   */
  admit(owner: string, output: string, bytes: readonly number[]): number {
    const status = bytes[0];
    if (status === undefined || status < 0x80 || status >= 0xf0 || bytes.length < 2) return 1;
    const hi = status & 0xf0;
    const channel = (status & 0x0f) + 1;
    this.#used.set(`${output}|${channel}`, { output, channel });
    if (hi === 0xb0 && bytes[1] === SUSTAIN && bytes.length >= 3) {
      this.#pedal(owner, output, channel, (bytes[2] as number) >= 64);
      return 1;
    }
    if ((hi !== 0x90 && hi !== 0x80) || bytes.length < 3) return 1;
    const note = bytes[1] as number;
    const key = `${output}|${channel}|${note}`;
    if (hi === 0x90 && (bytes[2] as number) > 0) {
      let held = this.#byOwner.get(owner);
      if (held === undefined) this.#byOwner.set(owner, (held = new Map()));
      const h = held.get(key);
      if (h === undefined) held.set(key, { output, channel, note, count: 1 });
      else h.count++;
      return 1;
    }
    const held = this.#byOwner.get(owner);
    const h = held?.get(key);
    if (held === undefined || h === undefined) return 0;
    held.delete(key);
    if (held.size === 0) this.#byOwner.delete(owner);
    return h.count;
  }

  /** Forget everything `owner` holds and return the note-offs (and sustain-offs) that end it. */
  release(owner: string): MidiOutEffect[] {
    const out: MidiOutEffect[] = [];
    const held = this.#byOwner.get(owner);
    this.#byOwner.delete(owner);
    for (const h of held?.values() ?? []) {
      for (let i = 0; i < h.count; i++) out.push({ type: 'midi-out', output: h.output, bytes: noteOff(h.channel, h.note) });
    }
    const pedals = this.#sustain.get(owner);
    this.#sustain.delete(owner);
    for (const p of pedals?.values() ?? []) out.push({ type: 'midi-out', output: p.output, bytes: controlChange(p.channel, SUSTAIN, 0) });
    return out;
  }

  /** Releases every owner `which` selects. */
  releaseWhere(which: (owner: string) => boolean): MidiOutEffect[] {
    const out: MidiOutEffect[] = [];
    for (const owner of this.owners()) if (which(owner)) out.push(...this.release(owner));
    return out;
  }

  /** Panic: every owner released, then all-notes-off and sustain-off on every output channel ever used. */
  panic(): MidiOutEffect[] {
    const out = this.releaseWhere(() => true);
    for (const u of this.#used.values()) {
      out.push({ type: 'midi-out', output: u.output, bytes: controlChange(u.channel, 123, 0) });
      out.push({ type: 'midi-out', output: u.output, bytes: controlChange(u.channel, SUSTAIN, 0) });
    }
    return out;
  }

  /** Output channels panic covers. */
  get usedChannels(): number {
    return this.#used.size;
  }

  holds(owner: string, output: string, channel: number, note: number): boolean {
    return this.#byOwner.get(owner)?.has(`${output}|${channel}|${note}`) ?? false;
  }

  /** Owners holding a note or a sustain pedal. */
  owners(): string[] {
    return [...new Set([...this.#byOwner.keys(), ...this.#sustain.keys()])];
  }

  snapshot(): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const [owner, held] of this.#byOwner) out[owner] = [...held.values()].flatMap((h) => Array<string>(h.count).fill(`${h.output}|${h.channel}|${h.note}`));
    for (const [owner, pedals] of this.#sustain) out[owner] = [...(out[owner] ?? []), ...[...pedals.keys()].map((k) => `${k}|sustain`)];
    return out;
  }

  #pedal(owner: string, output: string, channel: number, down: boolean): void {
    const key = `${output}|${channel}`;
    let pedals = this.#sustain.get(owner);
    if (down) {
      if (pedals === undefined) this.#sustain.set(owner, (pedals = new Map()));
      pedals.set(key, { output, channel });
      return;
    }
    pedals?.delete(key);
    if (pedals?.size === 0) this.#sustain.delete(owner);
  }
}
