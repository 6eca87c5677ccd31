/**
 * Picks the MIDI backend: RtMidi when the ALSA sequencer is there, otherwise
 * the in-memory fake (the simulated box), with one clear log line saying why.
 */
import type { Logger } from '../log.js';
import { FakeMidiBackend } from './fake-midi-backend.js';
import type { MidiBackend } from './midi-backend.js';
import { RtMidiBackend } from './rtmidi-backend.js';

export interface CreatedMidiBackend {
  readonly backend: MidiBackend;
  /** Present when simulating: the composition root scripts its ports. */
  readonly fake: FakeMidiBackend | null;
  /** Not simulating, and RtMidi could not start: why (the caller reports it). */
  readonly unavailable?: string;
}

export async function createMidiBackend(log: Logger, options: { simulate?: boolean; create?: () => Promise<MidiBackend> } = {}): Promise<CreatedMidiBackend> {
  if (options.simulate === true) {
    log.info({ component: 'midi' }, 'MIDI: simulated backend (requested)');
    const fake = new FakeMidiBackend();
    return { backend: fake, fake };
  }
  try {
    const backend = await (options.create ?? (() => RtMidiBackend.create()))();
    log.info({ component: 'midi' }, 'MIDI: ALSA via RtMidi');
    return { backend, fake: null };
  } catch (err) {
    // The engine keeps running on an empty backend; the box reports the reason as degraded.
    const fake = new FakeMidiBackend();
    return { backend: fake, fake, unavailable: (err as Error).message };
  }
}
