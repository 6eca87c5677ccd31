import { EXIT_OK, type CliIo } from '../io.js';
import { noExtraArguments } from '../arg-errors.js';
import type { SetlistStatus, SetlistTarget } from '../../control/protocol.js';
import { COMMON_HELP, cliPaths, clientFor, parseCli, reportError } from '../../control/cli-support.js';

const USAGE = `usage: midimon setlist [next|prev|N|NAME] [options]

Without an argument, lists the setlist's songs and marks the current one.
next / prev step through the songs; N (1 = the first song) or a song's name
jumps to it. Selecting a song switches to its mode and runs its on_enter
(e.g. Bank Select + Program Change), as a footswitch or Program Change would.

options:
${COMMON_HELP}`;

export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCli(argv, {}, 'setlist');
  if (values.help) {
    io.stdout(USAGE);
    return EXIT_OK;
  }
  noExtraArguments(positionals, 1, 'setlist');
  const [arg] = positionals;
  try {
    const client = clientFor(await cliPaths(io, values), io);
    const target: SetlistTarget | undefined =
      arg === undefined ? undefined : arg === 'next' || arg === 'prev' ? arg : /^[0-9]+$/.test(arg) ? { song: Number(arg) } : { name: arg };
    const r = await client.request(target === undefined ? { cmd: 'setlist' } : { cmd: 'setlist', target });
    io.stdout(values.json ? `${JSON.stringify(r)}\n` : target === undefined ? formatSetlist(r) : `${formatPosition(r)}\n`);
    return EXIT_OK;
  } catch (err) {
    return reportError(io, 'setlist', err, values.json);
  }
}

/** "3/8 Encore (mode Live), next: Outro" */
export function formatPosition(s: SetlistStatus): string {
  const where = s.position === null ? `-/${s.count} (no song selected yet)` : `${s.position}/${s.count} ${s.song ?? ''} (mode ${s.mode ?? '-'})`;
  return `${where}${s.next === null ? '' : `, next: ${s.next}`}`;
}

export function formatSetlist(s: SetlistStatus): string {
  const lines = s.songs.map((song) => `${song.number === s.position ? '>' : ' '} ${String(song.number).padStart(2)} ${song.name}${song.name === song.mode ? '' : `  (${song.mode})`}`);
  return `${formatPosition(s)}\n${lines.join('\n')}\n`;
}
