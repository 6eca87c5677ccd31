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
}

export async function createMidiBackend(log: Logger, options: { simulate?: boolean } = {}): Promise<CreatedMidiBackend> {
  if (options.simulate === true) {
    log.info({ component: 'midi' }, 'MIDI: simulated backend (requested)');
    const fake = new FakeMidiBackend();
    return { backend: fake, fake };
  }
  try {
    const backend = await RtMidiBackend.create();
    log.info({ component: 'midi' }, 'MIDI: ALSA via RtMidi');
    return { backend, fake: null };
  } catch (err) {
    log.warn({ component: 'midi' }, `MIDI: ${(err as Error).message}; using the simulated backend`);
    const fake = new FakeMidiBackend();
    return { backend: fake, fake };
  }
}
