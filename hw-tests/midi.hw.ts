// USB MIDI through the real @julusian/midi backend: the ALSA sequencer answers, the ports
// list, and a message sent to a virtual output arrives at an input opened on it (the same
// path a controller's messages take), with its latency.
import { access } from 'node:fs/promises';
import { RtMidiBackend } from '../src/midi/rtmidi-backend.js';
import { failed, passed, skipped, type HwOutcome, type HwTest } from './hw-test.js';

const VIRTUAL = 'midimon-hw-test';

async function sequencer(): Promise<HwOutcome | null> {
  try {
    await access('/dev/snd/seq');
    return null;
  } catch {
    return skipped('no /dev/snd/seq (no ALSA sequencer: not a Pi, or snd-seq not loaded)');
  }
}

const tests: HwTest[] = [
  {
    name: 'midi: ALSA sequencer answers and ports enumerate',
    async run() {
      const missing = await sequencer();
      if (missing !== null) return missing;
      const backend = await RtMidiBackend.create();
      try {
        const inputs = backend.listInputs();
        const outputs = backend.listOutputs();
        return passed(`${inputs.length} inputs (${inputs.join(', ') || 'none'}), ${outputs.length} outputs`);
      } finally {
        backend.close();
      }
    },
  },
  {
    name: 'midi: loopback through a virtual port (note-on arrives, latency)',
    async run() {
      const missing = await sequencer();
      if (missing !== null) return missing;
      const midi = await import('@julusian/midi');
      const out = new midi.Output();
      out.openVirtualPort(VIRTUAL);
      const input = new midi.Input();
      try {
        const count = input.getPortCount();
        let port = -1;
        for (let i = 0; i < count; i++) if (input.getPortName(i).includes(VIRTUAL)) port = i;
        if (port < 0) return failed(`the virtual port ${VIRTUAL} did not appear among ${count} inputs`);
        const got = new Promise<number>((resolve) => input.on('message', () => resolve(performance.now())));
        input.openPort(port);
        const t0 = performance.now();
        out.sendMessage([0x90, 60, 100]);
        const t1 = await Promise.race([got, new Promise<number>((r) => setTimeout(() => r(-1), 2000))]);
        if (t1 < 0) return failed('sent a note-on to the virtual port, nothing arrived within 2 s');
        return passed(`round trip ${((t1 - t0) * 1000).toFixed(0)} us`);
      } finally {
        input.closePort();
        out.closePort();
      }
    },
  },
];

export default tests;
