import { EXIT_OK, EXIT_USAGE, UsageError, type CliIo } from '../io.js';
import { COMMON_HELP, cliPaths, parseCli, reportError } from '../../control/cli-support.js';
import { ControlClient } from '../../control/client.js';
import { DEFAULT_LEARN_TIMEOUT_MS, MAX_LEARN_TIMEOUT_MS } from '../../control/learn-protocol.js';
import type { LearnRequest } from '../../control/protocol.js';
import { isMidimonError } from '../../errors.js';
import { parseActionArg } from '../../config/learned-mapping.js';

const USAGE = `usage: midimon learn [--mode NAME | --global] [--action ACTION [--add]] [options]

Waits for the next control you move on any input (a key or pad, a knob or
fader, a program change, a footswitch gesture) and prints the mapping for it
as TOML to paste into the config. With --add the box writes it into the
config file itself: inserted in the mode's mappings, every comment and all
other text kept as they are, validated first (an edit that would not
validate is refused), the previous file kept as config.toml.bak, then
applied at once.

options:
  --mode NAME         the mode the mapping is for (default: the current mode)
  --global            a global mapping (fires in every mode) instead
  --action ACTION     what it should do: ModeNext, ModePrev, Panic, Mode:NAME,
                      or a TOML inline table, e.g.
                      'type = "SendMidi", message = "cc", cc = 7, value = "pass"'
  --add               write the mapping into the config file (needs --action)
  --description TEXT  the mapping's description (default: "learned: ...")
  --timeout SECONDS   how long to wait (default ${DEFAULT_LEARN_TIMEOUT_MS / 1000}, at most ${MAX_LEARN_TIMEOUT_MS / 1000})
${COMMON_HELP}
examples:
  midimon learn                                   # print the trigger of the next control
  midimon learn --mode Live --action ModeNext --add
  midimon learn --global --action Panic --add --timeout 10`;

export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCli(
    argv,
    {
      mode: { type: 'string' },
      global: { type: 'boolean', default: false },
      action: { type: 'string' },
      add: { type: 'boolean', default: false },
      description: { type: 'string' },
      timeout: { type: 'string' },
    },
    'learn',
  );
  if (values.help) {
    io.stdout(`${USAGE}\n`);
    return EXIT_OK;
  }
  if (positionals.length > 0) {
    io.stderr(`${USAGE}\n`);
    return EXIT_USAGE;
  }
  if (values.global && values.mode !== undefined) throw new UsageError('--mode and --global exclude each other');
  if (values.add && values.action === undefined) throw new UsageError('--add needs --action (e.g. --action ModeNext)');
  const timeoutMs = values.timeout === undefined ? DEFAULT_LEARN_TIMEOUT_MS : seconds(values.timeout);
  const request: LearnRequest = {
    ...(values.mode === undefined ? {} : { mode: values.mode }),
    ...(values.global ? { global: true as const } : {}),
    timeout_ms: timeoutMs,
    ...(values.action === undefined ? {} : { action: parseAction(values.action) }),
    ...(values.description === undefined ? {} : { description: values.description }),
    ...(values.add ? { add: true as const } : {}),
  };
  try {
    const paths = await cliPaths(io, values);
    const client = new ControlClient({ socketPath: paths.socketPath, timeoutMs: timeoutMs + 10_000 });
    if (!values.json) io.stderr(`listening for ${timeoutMs / 1000} s: press a key or pad, move a knob, or step on a footswitch...\n`);
    const r = await client.request({ cmd: 'learn', ...request });
    if (values.json) {
      io.stdout(`${JSON.stringify(r)}\n`);
      return EXIT_OK;
    }
    io.stderr(`learned ${r.label}${r.mode === null ? ' (global)' : ` for mode ${r.mode}`}\n`);
    io.stdout(r.toml);
    const added = r.added;
    if (added !== undefined) {
      const applied = added.reload.applied ? 'applied' : added.reload.reason === 'unchanged' ? 'already applied' : `NOT applied: ${added.reload.error.message}`;
      io.stderr(`added as mapping ${added.mapping} at ${added.file}:${added.line} (previous file: ${added.backup}); ${applied}\n`);
    }
    return EXIT_OK;
  } catch (err) {
    return reportError(io, 'learn', err, values.json);
  }
}

function seconds(word: string): number {
  const s = Number(word.replace(/s$/, ''));
  const ms = Math.round(s * 1000);
  if (!Number.isFinite(s) || ms < 100 || ms > MAX_LEARN_TIMEOUT_MS) throw new UsageError(`--timeout must be 0.1..${MAX_LEARN_TIMEOUT_MS / 1000} seconds, not '${word}'`);
  return ms;
}

function parseAction(text: string): Record<string, unknown> {
  try {
    return parseActionArg(text);
  } catch (err) {
    if (isMidimonError(err)) throw new UsageError(err.message);
    throw err;
  }
}
