import { EXIT_FAILURE, EXIT_OK, type CliIo } from '../io.js';
import { noExtraArguments } from '../arg-errors.js';
import { formatIssue } from '../../config/issues.js';
import { COMMON_HELP, cliPaths, clientFor, parseCli, reportError } from '../../control/cli-support.js';

const USAGE = `usage: midimon reload [options]

Re-reads the config file now (the box also reloads by itself when the file
changes, and on 'systemctl reload midimon'). An invalid file is rejected and
the running config stays; exit 1.

options:
${COMMON_HELP}`;

export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCli(argv, {}, 'reload');
  noExtraArguments(positionals, 0, 'reload');
  if (values.help) {
    io.stdout(USAGE);
    return EXIT_OK;
  }
  try {
    const r = await clientFor(await cliPaths(io, values), io).request({ cmd: 'reload' });
    if (values.json) {
      io.stdout(`${JSON.stringify(r)}\n`);
      return r.applied || r.reason === 'unchanged' ? EXIT_OK : EXIT_FAILURE;
    }
    if (r.applied) {
      io.stdout(`config applied (${r.hash}); changed: ${r.changed.length === 0 ? 'nothing' : r.changed.join(', ')}\n`);
      return EXIT_OK;
    }
    if (r.reason === 'unchanged') {
      io.stdout(`config unchanged (${r.hash})\n`);
      return EXIT_OK;
    }
    io.stderr(`midimon reload: config ${r.reason === 'invalid' ? 'rejected' : 'could not be applied'}, the box keeps running the previous one: ${r.error.message}\n`);
    for (const issue of r.error.issues) io.stderr(`  ${formatIssue(issue)}\n`);
    return EXIT_FAILURE;
  } catch (err) {
    return reportError(io, 'reload', err, values.json);
  }
}
