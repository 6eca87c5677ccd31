import { EXIT_OK, EXIT_USAGE, type CliIo } from '../io.js';
import type { TempoRequest, TempoStatus } from '../../control/protocol.js';
import { COMMON_HELP, cliPaths, clientFor, parseCli, reportError } from '../../control/cli-support.js';

const USAGE = `usage: midimon tempo [BPM|+N|-N|tap|start|stop|continue|toggle|source internal|source external] [options]

Shows or changes the box's MIDI clock. BPM (20-300, 0.1 steps) sets the
tempo, +N / -N nudges it, tap taps it (the box averages the last taps),
start/stop/continue/toggle drive the transport, source switches between the
box's own clock and following an external one. Without an argument, prints
tempo, transport and song position.

options:
${COMMON_HELP}`;

/** The request an argument list means, or a usage message. */
export function tempoRequestOf(args: readonly string[]): TempoRequest | string {
  const [a, b, ...rest] = args;
  if (a === undefined) return {};
  if (a === 'source') {
    if ((b === 'internal' || b === 'external') && rest.length === 0) return { source: b };
    return "source takes 'internal' or 'external'";
  }
  if (b !== undefined) return `unexpected argument '${b}'`;
  if (a === 'tap') return { tap: true };
  if (a === 'start' || a === 'stop' || a === 'continue' || a === 'toggle') return { transport: a };
  if (/^[+-]\d+(\.\d)?$/.test(a)) return { nudge: Number(a) };
  if (/^\d+(\.\d)?$/.test(a)) {
    const bpm = Number(a);
    return bpm >= 20 && bpm <= 300 ? { bpm } : `tempo ${a} is outside 20-300 BPM`;
  }
  return `'${a}' is not a tempo (20-300, one decimal), +N/-N, tap, start, stop, continue, toggle or source`;
}

export function formatTempo(t: TempoStatus): string {
  const src = t.source === 'external' ? (t.locked ? 'following external clock' : 'external clock: none received') : 'internal clock';
  const where = t.tick < 0 ? 'at the top' : `bar ${t.bar} beat ${t.beat_in_bar}/${t.beats_per_bar} (tick ${t.tick})`;
  return `${t.bpm.toFixed(1)} BPM, ${t.running ? 'running' : 'stopped'}, ${src}, ${where}`;
}

export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  // "-2" is a nudge, not an option.
  const nudges = argv.filter((a) => /^-\d/.test(a));
  const { values, positionals: rest } = parseCli(argv.filter((a) => !/^-\d/.test(a)), {});
  const positionals = [...rest, ...nudges];
  if (values.help) {
    io.stdout(USAGE);
    return EXIT_OK;
  }
  const request = tempoRequestOf(positionals);
  if (typeof request === 'string') {
    io.stderr(`midimon tempo: ${request}\n${USAGE}`);
    return EXIT_USAGE;
  }
  try {
    const r = await clientFor(await cliPaths(io, values), io).request({ cmd: 'tempo', ...request });
    io.stdout(values.json ? `${JSON.stringify(r)}\n` : `${formatTempo(r)}\n`);
    return EXIT_OK;
  } catch (err) {
    return reportError(io, 'tempo', err, values.json);
  }
}
