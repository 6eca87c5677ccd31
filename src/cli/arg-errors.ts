import { UsageError } from './io.js';

/**
 * parseArgs' own messages are written for programmers ("... place it at the
 * end of the command after '--', as in '-- "--x"", with an unclosed quote):
 * turn its errors into one clean line that names the option.
 */
export function argError(err: unknown, command: string): UsageError {
  const e = err as { code?: unknown; message?: unknown };
  const message = typeof e.message === 'string' ? e.message : String(err);
  const quoted = /'([^']+)'/.exec(message)?.[1] ?? '';
  const option = quoted.replace(/ <value>$/, '');
  const help = `see 'midimon ${command} --help'`;
  switch (e.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return new UsageError(`unknown option '${option}' (${help})`);
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      return new UsageError(/argument missing/.test(message) ? `option '${option}' needs a value (${help})` : `option '${option}' takes no value (${help})`);
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return new UsageError(`unexpected argument '${option}' (${help})`);
    default:
      return new UsageError(message);
  }
}

/** Refuses arguments a command does not take, instead of ignoring them. */
export function noExtraArguments(positionals: readonly string[], max: number, command: string): void {
  if (positionals.length > max) throw new UsageError(`unexpected extra argument '${positionals[max] ?? ''}' (see 'midimon ${command} --help')`);
}
