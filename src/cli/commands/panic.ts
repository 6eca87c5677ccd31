import { EXIT_OK, EXIT_USAGE, type CliIo } from '../io.js';
import { COMMON_HELP, cliPaths, clientFor, parseCli, reportError } from '../../control/cli-support.js';

const USAGE = `usage: midimon panic [options]

Ends every note the running box started (note-offs from its own records),
then sends All Notes Off (CC 123) and Sustain Off (CC 64 = 0) on every
output channel it has used. The OLED shows "panic" for a few seconds.

options:
${COMMON_HELP}`;

export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCli(argv, {});
  if (values.help || positionals.length > 0) {
    io.stdout(USAGE);
    return values.help ? EXIT_OK : EXIT_USAGE;
  }
  try {
    const client = clientFor(await cliPaths(io, values), io);
    const r = await client.request({ cmd: 'panic' });
    io.stdout(values.json ? `${JSON.stringify(r)}\n` : `all notes off on ${r.channels} output channel${r.channels === 1 ? '' : 's'}\n`);
    return EXIT_OK;
  } catch (err) {
    return reportError(io, 'panic', err, values.json);
  }
}
