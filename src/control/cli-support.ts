import { parseArgs, type ParseArgsConfig } from 'node:util';
import { isMidimonError } from '../errors.js';
import { EXIT_FAILURE, type CliIo } from '../cli/io.js';
import { argError } from '../cli/arg-errors.js';
import { resolveCliPaths, type MidimonPaths } from '../config/paths.js';
import { formatIssue, type ConfigIssue } from '../config/issues.js';
import { ControlClient } from './client.js';

/**
 * What the control commands (status, reload, mode, config, logs) share:
 * `--socket PATH`, `--config PATH`, `--json`, path resolution and printing a
 * service error the same way everywhere.
 */
export const COMMON_OPTIONS = {
  socket: { type: 'string' },
  config: { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const satisfies ParseArgsConfig['options'];

export const COMMON_HELP = '  --socket PATH   control socket (default: MIDIMON_SOCKET, /run/midimon/control.sock or ./.sim/run/control.sock)\n  --config PATH   config file (default: MIDIMON_CONFIG, /etc/midimon/config.toml or ./.sim/config.toml)\n  --json          machine-readable output\n';

export function parseCli<O extends NonNullable<ParseArgsConfig['options']>>(argv: readonly string[], options: O, command = '<command>') {
  try {
    return parseArgs({ args: [...argv], options: { ...COMMON_OPTIONS, ...options }, allowPositionals: true, strict: true });
  } catch (err) {
    throw argError(err, command);
  }
}

export function cliPaths(io: CliIo, flags: { socket?: string | undefined; config?: string | undefined }): Promise<MidimonPaths> {
  return resolveCliPaths({ socketFlag: flags.socket, configFlag: flags.config, env: io.env, cwd: io.cwd });
}

export function clientFor(paths: MidimonPaths, io: CliIo): ControlClient {
  const t = Number(io.env['MIDIMON_TIMEOUT_MS'] ?? '');
  return new ControlClient({ socketPath: paths.socketPath, ...(Number.isFinite(t) && t > 0 ? { timeoutMs: t } : {}) });
}

/** Prints a failure (with config issues one per line) and returns the exit code. */
export function reportError(io: CliIo, command: string, err: unknown, json: boolean): number {
  if (!isMidimonError(err)) throw err;
  if (json) {
    io.stdout(`${JSON.stringify({ ok: false, error: err.toJSON() })}\n`);
    return EXIT_FAILURE;
  }
  io.stderr(`midimon ${command}: ${err.message}\n`);
  const issues = err.details?.['issues'];
  if (Array.isArray(issues)) for (const issue of issues as ConfigIssue[]) io.stderr(`  ${formatIssue(issue)}\n`);
  return EXIT_FAILURE;
}
