/**
 * The last MIDI messages in and out, for the OLED Monitor page. Recorded
 * always (the page shows what came before it was opened), so recording is a
 * copy of a few bytes into a fixed ring; describing them waits until the
 * page is drawn. Clock ticks and active sensing are not kept: at 24 a beat
 * they would push everything else out.
 */
import { shortMidi } from '../midi/describe-midi.js';

export interface RecentMidi {
  readonly dir: 'in' | 'out';
  /** Input alias or name / output alias. */
  readonly device: string;
  readonly bytes: readonly number[];
  readonly at: number;
}

const SKIPPED = new Set([0xf8, 0xfe]);

export class MidiRecent {
  readonly #ring: (RecentMidi | undefined)[];
  #next = 0;
  #count = 0;
  readonly #listeners = new Set<() => void>();

  constructor(readonly capacity = 32) {
    this.#ring = new Array<RecentMidi | undefined>(capacity);
  }

  record(dir: 'in' | 'out', device: string, bytes: readonly number[], at: number): void {
    if (SKIPPED.has(bytes[0] ?? 0)) return;
    this.#ring[this.#next] = { dir, device, bytes: bytes.slice(0, 16), at };
    this.#next = (this.#next + 1) % this.capacity;
    this.#count = Math.min(this.capacity, this.#count + 1);
    for (const fn of this.#listeners) fn();
  }

  /** Called after every recorded message (keep it cheap: the Monitor page throttles its redraw). */
  onRecord(fn: () => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  /** Newest first. */
  list(): RecentMidi[] {
    const out: RecentMidi[] = [];
    for (let i = 1; i <= this.#count; i++) {
      const m = this.#ring[(this.#next - i + this.capacity) % this.capacity];
      if (m !== undefined) out.push(m);
    }
    return out;
  }

  /** As the menu shows them, newest first. */
  lines(): { dir: 'in' | 'out'; device: string; text: string }[] {
    return this.list().map((m) => ({ dir: m.dir, device: m.device, text: shortMidi(m.bytes) }));
  }
}
