// USB MIDI through the real @julusian/midi backend: the ALSA sequencer answers, the
// configured USB controllers are there and deliver what is played on them, and a message
// sent to a virtual output arrives at an input opened on it (with its latency).
import { access } from 'node:fs/promises';
import { nameMatches } from '../src/engine/name-pattern.js';
import { ALSA_SEQ_DEVICE, RtMidiBackend } from '../src/midi/rtmidi-backend.js';
import { failed, hwSettings, missing, passed, skipped, type HwContext, type HwOutcome, type HwTest } from './hw-test.js';

const VIRTUAL = 'midimon-hw-test';
const WAIT_MS = 10_000;

async function sequencer(ctx: HwContext): Promise<HwOutcome | null> {
  try {
    await access(ALSA_SEQ_DEVICE);
    return null;
  } catch {
    // MIDI is always configured on a box: the sequencer is its backbone.
    return missing(ctx, true, 'the ALSA sequencer', `there is no ${ALSA_SEQ_DEVICE} (snd-seq not loaded)`);
  }
}

export default function tests(ctx: Pick<HwContext, 'env' | 'config'>): HwTest[] {
  const controllers = hwSettings(ctx.env, ctx.config).midiInputs;
  return [
    {
      name: 'midi: ALSA sequencer answers and ports enumerate',
      async run(c) {
        const gone = await sequencer(c);
        if (gone !== null) return gone;
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
    ...(controllers.length === 0
      ? [{ name: 'midi: configured USB controllers', run: async () => skipped('no MIDI inputs named in the config ([devices.midi] inputs = [] opens whatever is plugged in)') }]
      : controllers.map((pattern) => ({
          name: `midi: configured controller "${pattern}" is connected and delivers messages`,
          async run(c: HwContext): Promise<HwOutcome> {
            const gone = await sequencer(c);
            if (gone !== null) return gone;
            const backend = await RtMidiBackend.create();
            try {
              const port = backend.listInputs().find((n) => nameMatches(pattern, n));
              if (port === undefined) return missing(c, true, `MIDI controller "${pattern}"`, `it is not connected (inputs: ${backend.listInputs().join(', ') || 'none'})`);
              if (!c.interactive) return skipped(`"${port}" enumerates; playing it needs a person (run in a terminal)`);
              let got: number[] | undefined;
              const input = backend.openInput(port, (bytes) => (got ??= bytes), { sysex: true, timing: true, activeSensing: true });
              try {
                c.say(`    play a note or move a control on "${port}" within ${WAIT_MS / 1000} s`);
                const deadline = Date.now() + WAIT_MS;
                while (got === undefined && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
                return got === undefined ? failed(`nothing arrived from "${port}" within ${WAIT_MS / 1000} s`) : passed(`received ${got.map((b) => b.toString(16).padStart(2, '0')).join(' ')}`);
              } finally {
                input.close();
              }
            } finally {
              backend.close();
            }
          },
        }))),
    {
      name: 'midi: loopback through a virtual port (note-on arrives, latency)',
      async run(c) {
        const gone = await sequencer(c);
        if (gone !== null) return gone;
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
}
