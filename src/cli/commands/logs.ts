import { spawn } from 'node:child_process';
import { noExtraArguments } from '../arg-errors.js';
import { createInterface } from 'node:readline';
import { EXIT_FAILURE, EXIT_OK, UsageError, type CliIo } from '../io.js';
import { COMMON_HELP, cliPaths, parseCli } from '../../control/cli-support.js';

const USAGE = `usage: midimon logs [-n LINES] [--no-follow] [--raw] [--print]

Shows the service's log from the systemd journal, following new lines:
the same as 'journalctl -u midimon -f -o cat', made readable. On a dev
machine ('npm start') the log goes to that terminal instead.

options:
  -n LINES      how many past lines to show first (default 50)
  --no-follow   print and exit
  --raw         the JSON lines as logged (for jq)
  --print       print the journalctl command instead of running it
${COMMON_HELP}`;

export function journalctlArgs(lines: number, follow: boolean): string[] {
  return ['-u', 'midimon', '-o', 'cat', '-n', String(lines), ...(follow ? ['-f'] : ['--no-pager'])];
}

export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCli(argv, {
    lines: { type: 'string', short: 'n', default: '50' },
    'no-follow': { type: 'boolean', default: false },
    raw: { type: 'boolean', default: false },
    print: { type: 'boolean', default: false },
  }, 'logs');
  noExtraArguments(positionals, 0, 'logs');
  if (values.help) {
    io.stdout(USAGE);
    return EXIT_OK;
  }
  const lines = Number(values.lines);
  if (!Number.isInteger(lines) || lines < 0) throw new UsageError(`-n expects a whole number, got '${values.lines}'`);
  const args = journalctlArgs(lines, !values['no-follow']);
  if (values.print) {
    io.stdout(`journalctl ${args.join(' ')}\n`);
    return EXIT_OK;
  }
  const paths = await cliPaths(io, values);
  if (paths.simulated) {
    io.stderr(`midimon logs: this is a simulated box (${paths.runtimeDir}); its log is in the terminal running 'npm start'\n`);
    return EXIT_FAILURE;
  }
  return follow(io, args, values.raw);
}

/** Runs journalctl and pretty-prints its JSON lines (pino-pretty loaded only here). */
async function follow(io: CliIo, args: string[], raw: boolean): Promise<number> {
  const pretty = raw ? undefined : (await import('pino-pretty')).prettyFactory({ translateTime: 'SYS:yyyy-mm-dd HH:MM:ss.l', ignore: 'pid,hostname', colorize: process.stdout.isTTY === true });
  const child = spawn('journalctl', args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const done = new Promise<number>((resolve) => {
    child.once('error', (err: NodeJS.ErrnoException) => {
      io.stderr(err.code === 'ENOENT' ? "midimon logs: journalctl not found (no systemd here?); on a dev machine the log is in the terminal running 'npm start'\n" : `midimon logs: ${err.message}\n`);
      resolve(EXIT_FAILURE);
    });
    child.once('close', (code) => resolve(code === 0 || code === null ? EXIT_OK : EXIT_FAILURE));
  });
  const rl = createInterface({ input: child.stdout });
  rl.on('line', (line) => {
    if (pretty === undefined || !line.startsWith('{')) return io.stdout(`${line}\n`);
    try {
      io.stdout(pretty(JSON.parse(line) as object));
    } catch {
      io.stdout(`${line}\n`);
    }
  });
  return done;
}
