import { EXIT_OK, EXIT_USAGE, UsageError, type CliIo } from '../io.js';
import { COMMON_HELP, cliPaths, parseCli, reportError } from '../../control/cli-support.js';
import { ControlClient } from '../../control/client.js';
import { FOOTSWITCH_GESTURES } from '../../control/send-protocol.js';
import type { SendRequest } from '../../control/protocol.js';
import { describeMidi } from '../../midi/describe-midi.js';
import { channelAftertouch, controlChange, noteOff, noteOn, pitchBend, polyAftertouch, programChange } from '../../engine/midi-message.js';

const USAGE = `usage: midimon send INPUT MESSAGE [options]

Injects MIDI into the running box as if input INPUT (a [devices.midi] input's
name or alias) had sent it, or a footswitch gesture as if switch INPUT had
made it. Works on a real box too: the message enters where a port's would.

messages (numbers are decimal; NOTE may also be a name, C4 = 60):
  note NOTE [VEL]       note-on, velocity 1-127 (default 100)
  off NOTE [VEL]        note-off
  cc N VALUE            control change
  pc PROGRAM            program change, 0-127 as on the wire (0 = the first
                        program; with program_change_channel, PC 0 = mode 1)
  bend VALUE            pitch bend, -8192..8191 (0 = centre)
  at VALUE              channel aftertouch
  poly NOTE VALUE       polyphonic aftertouch
  sysex F0 .. F7        SysEx as hex bytes (F0 and F7 are added when missing)
  raw 90 3C 64          any one message as hex bytes
  press|long|double|release
                        a footswitch gesture (INPUT is the footswitch name)

options:
  --channel N     MIDI channel 1-16 (default 1)
  --hold MS       release after MS: note-off for note, value 0 for cc, at and
                  poly, centre for bend
  --repeat N      send it N times (default 1)
  --interval MS   time between repeats (default: hold + 100 ms)
${COMMON_HELP}
examples:
  midimon send keys note 60 100 --hold 500
  midimon send keys cc 1 64
  midimon send pads pc 5 --channel 16
  midimon send left long`;

const NOTE_NAMES: Readonly<Record<string, number>> = { c: 0, d: 2, e: 4, f: 5, g: 7, a: 9, b: 11 };

function int(word: string | undefined, what: string, min: number, max: number): number {
  if (word === undefined) throw new UsageError(`missing ${what}`);
  const n = /^-?\d+$/.test(word) ? Number(word) : /^0x[0-9a-f]+$/i.test(word) ? Number.parseInt(word.slice(2), 16) : Number.NaN;
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`${what} must be a whole number ${min}..${max}, not '${word}'`);
  return n;
}

/** A note number, or a name like C4, F#3, Bb2 (C4 = 60, C-1 = 0). */
export function parseNote(word: string | undefined): number {
  const m = word === undefined ? null : /^([a-g])([#b]?)(-?\d+)$/i.exec(word);
  if (m === null) return int(word, 'note', 0, 127);
  const base = NOTE_NAMES[(m[1] ?? 'c').toLowerCase()] ?? 0;
  const n = (Number(m[3]) + 1) * 12 + base + (m[2] === '#' ? 1 : m[2] === 'b' ? -1 : 0);
  if (n < 0 || n > 127) throw new UsageError(`note ${word} is outside the MIDI range (C-1..G9)`);
  return n;
}

function hexBytes(words: readonly string[], what: string): number[] {
  if (words.length === 0) throw new UsageError(`missing ${what} bytes`);
  return words.flatMap((w) => {
    const clean = w.replace(/^0x/i, '').replace(/,$/, '');
    // "F07E7F" as one word is a run of bytes.
    if (!/^[0-9a-f]+$/i.test(clean) || clean.length % 2 !== 0) throw new UsageError(`'${w}' is not a hex byte (write bytes like F0 7E 00 F7)`);
    return (clean.match(/../g) ?? []).map((b) => Number.parseInt(b, 16));
  });
}

function exactly(words: readonly string[], kind: string, min: number, max: number): void {
  if (words.length < min) throw new UsageError(`'${kind}' needs ${min === max ? min : `${min}-${max}`} value${max === 1 ? '' : 's'}`);
  if (words.length > max) throw new UsageError(`unexpected extra argument '${words[max] ?? ''}' after '${kind}'`);
}

/** Turns `note 60 100` (and friends) into the request's messages; the box validates them again. */
export function parseMessageWords(words: readonly string[], channel: number): Pick<SendRequest, 'messages' | 'release' | 'gesture'> {
  const [kind, ...args] = words;
  if (kind === undefined) throw new UsageError('missing MESSAGE (note, off, cc, pc, bend, at, poly, sysex, raw, or a gesture)');
  switch (kind.toLowerCase()) {
    case 'note': {
      exactly(args, kind, 1, 2);
      const note = parseNote(args[0]);
      return { messages: [noteOn(channel, note, args[1] === undefined ? 100 : int(args[1], 'velocity', 1, 127))], release: [noteOff(channel, note)] };
    }
    case 'off':
      exactly(args, kind, 1, 2);
      return { messages: [noteOff(channel, parseNote(args[0]), args[1] === undefined ? 0 : int(args[1], 'velocity', 0, 127))] };
    case 'cc': {
      exactly(args, kind, 2, 2);
      const cc = int(args[0], 'controller', 0, 127);
      return { messages: [controlChange(channel, cc, int(args[1], 'value', 0, 127))], release: [controlChange(channel, cc, 0)] };
    }
    case 'pc':
      exactly(args, kind, 1, 1);
      return { messages: [programChange(channel, int(args[0], 'program', 0, 127))] };
    case 'bend':
      exactly(args, kind, 1, 1);
      return { messages: [pitchBend(channel, int(args[0], 'bend', -8192, 8191))], release: [pitchBend(channel, 0)] };
    case 'at':
      exactly(args, kind, 1, 1);
      return { messages: [channelAftertouch(channel, int(args[0], 'pressure', 0, 127))], release: [channelAftertouch(channel, 0)] };
    case 'poly': {
      exactly(args, kind, 2, 2);
      const note = parseNote(args[0]);
      return { messages: [polyAftertouch(channel, note, int(args[1], 'pressure', 0, 127))], release: [polyAftertouch(channel, note, 0)] };
    }
    case 'sysex': {
      let bytes = hexBytes(args, 'sysex');
      if (bytes[0] !== 0xf0) bytes = [0xf0, ...bytes];
      if (bytes[bytes.length - 1] !== 0xf7) bytes = [...bytes, 0xf7];
      return { messages: [bytes] };
    }
    case 'raw':
      return { messages: [hexBytes(args, 'raw')] };
    default: {
      const gesture = FOOTSWITCH_GESTURES.find((g) => g === kind.toLowerCase());
      if (gesture === undefined) throw new UsageError(`unknown message '${kind}' (note, off, cc, pc, bend, at, poly, sysex, raw, ${FOOTSWITCH_GESTURES.join(', ')})`);
      exactly(args, kind, 0, 0);
      return { gesture };
    }
  }
}

const VALUE_OPTIONS = new Set(['--channel', '--hold', '--repeat', '--interval', '--socket', '--config']);

/** `bend -2000`: a negative number is a value, not an option; move positionals behind '--' for parseArgs. */
function negativesAsPositionals(argv: readonly string[]): string[] {
  const options: string[] = [];
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (/^-\d+$/.test(a) || !a.startsWith('-')) positionals.push(a);
    else {
      options.push(a);
      if (VALUE_OPTIONS.has(a) && i + 1 < argv.length) options.push(argv[++i] as string);
    }
  }
  return [...options, '--', ...positionals];
}

export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCli(
    negativesAsPositionals(argv),
    {
      channel: { type: 'string' },
      hold: { type: 'string' },
      repeat: { type: 'string' },
      interval: { type: 'string' },
    },
    'send',
  );
  if (values.help) {
    io.stdout(`${USAGE}\n`);
    return EXIT_OK;
  }
  const [input, ...words] = positionals;
  if (input === undefined || words.length === 0) {
    io.stderr(`${USAGE}\n`);
    return EXIT_USAGE;
  }
  const channel = values.channel === undefined ? 1 : int(values.channel, '--channel', 1, 16);
  const parsed = parseMessageWords(words, channel);
  if (parsed.gesture !== undefined && values.channel !== undefined) throw new UsageError('--channel applies to MIDI messages, not footswitch gestures');
  const hold = values.hold === undefined ? undefined : int(values.hold, '--hold', 0, 60_000);
  if (hold !== undefined && parsed.release === undefined) throw new UsageError(`--hold does not apply to '${words[0] ?? ''}' (only note, cc, bend, at and poly have a release)`);
  const repeat = values.repeat === undefined ? undefined : int(values.repeat, '--repeat', 1, 1000);
  const interval = values.interval === undefined ? undefined : int(values.interval, '--interval', 0, 60_000);
  const request: SendRequest = {
    input,
    ...(parsed.gesture === undefined ? {} : { gesture: parsed.gesture }),
    ...(parsed.messages === undefined ? {} : { messages: parsed.messages }),
    ...(hold === undefined || parsed.release === undefined ? {} : { hold_ms: hold, release: parsed.release }),
    ...(repeat === undefined ? {} : { repeat }),
    ...(interval === undefined ? {} : { interval_ms: interval }),
  };
  try {
    const paths = await cliPaths(io, values);
    // The answer comes after the last hold/repeat: wait that long plus the usual margin.
    const duration = ((repeat ?? 1) - 1) * (interval ?? (hold ?? 0) + 100) + (hold ?? 0);
    const client = new ControlClient({ socketPath: paths.socketPath, timeoutMs: duration + 10_000 });
    const r = await client.request({ cmd: 'send', ...request });
    if (values.json) {
      io.stdout(`${JSON.stringify(r)}\n`);
    } else {
      const what = parsed.gesture ?? (parsed.messages ?? []).map(describeMidi).join(', ');
      const from = r.alias === undefined || r.alias === r.input ? r.input : `${r.input} (${r.alias})`;
      io.stdout(`sent ${what} as ${from}${r.delivered > 1 ? ` (${r.delivered} deliveries in ${r.duration_ms} ms)` : ''}\n`);
    }
    return EXIT_OK;
  } catch (err) {
    return reportError(io, 'send', err, values.json);
  }
}
