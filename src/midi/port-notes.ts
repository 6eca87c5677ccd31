/**
 * The last line against stuck and orphan notes, per real output port (the
 * engine tracks owners per output *pattern*; a pattern can match a port that
 * appeared after the note-on, or one that vanished before the note-off).
 * Counts what each port was actually sent: a note-off to a port that was
 * never sent that note is not delivered there, and notes (and sustain) a
 * port still held when it vanished are ended when it comes back.
 */
const SUSTAIN = 64;

interface PortState {
  /** "channel|note" -> note-ons delivered and not yet ended. */
  readonly notes: Map<string, number>;
  /** Channels (0-15) whose sustain pedal is down. */
  readonly sustain: Set<number>;
}

export class PortNotes {
  /** By port name without the ` client:port` suffix, so a replug under a new suffix is the same port. */
  readonly #ports = new Map<string, PortState>();

  /** Called for every message about to go to `port`; false = do not send it there. */
  admit(port: string, bytes: readonly number[]): boolean {
    const status = bytes[0];
    if (status === undefined || bytes.length < 3) return true;
    const hi = status & 0xf0;
    const channel = status & 0x0f;
    if (hi === 0xb0 && bytes[1] === SUSTAIN) {
      const s = this.#state(port).sustain;
      if ((bytes[2] as number) >= 64) s.add(channel);
      else s.delete(channel);
      return true;
    }
    if (hi !== 0x90 && hi !== 0x80) return true;
    const key = `${channel}|${bytes[1] as number}`;
    const notes = this.#state(port).notes;
    const count = notes.get(key) ?? 0;
    if (hi === 0x90 && (bytes[2] as number) > 0) {
      notes.set(key, count + 1);
      return true;
    }
    if (count === 0) return false;
    if (count === 1) notes.delete(key);
    else notes.set(key, count - 1);
    return true;
  }

  /** A port (re)opened: the note-offs and sustain-offs it is owed from before it vanished. */
  reopened(port: string): number[][] {
    const state = this.#ports.get(port);
    this.#ports.delete(port);
    if (state === undefined) return [];
    const out: number[][] = [];
    for (const [key, count] of state.notes) {
      const [channel, note] = key.split('|').map(Number) as [number, number];
      for (let i = 0; i < count; i++) out.push([0x80 | channel, note, 0]);
    }
    for (const channel of state.sustain) out.push([0xb0 | channel, SUSTAIN, 0]);
    return out;
  }

  /** Notes each port still holds (for tests and status). */
  held(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [port, s] of this.#ports) {
      const n = [...s.notes.values()].reduce((a, b) => a + b, 0);
      if (n > 0 || s.sustain.size > 0) out[port] = n;
    }
    return out;
  }

  #state(port: string): PortState {
    let s = this.#ports.get(port);
    if (s === undefined) this.#ports.set(port, (s = { notes: new Map(), sustain: new Set() }));
    return s;
  }
}
