import { EXIT_OK, type CliIo } from '../io.js';
import { noExtraArguments } from '../arg-errors.js';
import type { ModeTarget } from '../../control/protocol.js';
import { COMMON_HELP, cliPaths, clientFor, parseCli, reportError } from '../../control/cli-support.js';

const USAGE = `usage: midimon mode [NAME|next|prev] [options]

Switches the running box to mode NAME, or the next/previous mode (held notes
are released first). Without an argument, prints the current mode.

options:
${COMMON_HELP}`;

export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCli(argv, {}, 'mode');
  if (values.help) {
    io.stdout(USAGE);
    return EXIT_OK;
  }
  noExtraArguments(positionals, 1, 'mode');
  const [arg] = positionals;
  try {
    const client = clientFor(await cliPaths(io, values), io);
    if (arg === undefined) {
      const status = await client.request({ cmd: 'status' });
      io.stdout(values.json ? `${JSON.stringify(status.mode)}\n` : status.mode === null ? 'no mode\n' : `${status.mode.name} (${status.mode.index + 1}/${status.mode.count})\n`);
      return EXIT_OK;
    }
    const target: ModeTarget = arg === 'next' || arg === 'prev' ? arg : { name: arg };
    const r = await client.request({ cmd: 'mode', target });
    io.stdout(values.json ? `${JSON.stringify(r)}\n` : `${r.name} (${r.index + 1}/${r.count})\n`);
    return EXIT_OK;
  } catch (err) {
    return reportError(io, 'mode', err, values.json);
  }
}
