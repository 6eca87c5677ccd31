import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger };

export interface LogOptions {
  readonly level?: string;
  /** Force pretty output; default: pretty only when stdout is a TTY (a human at an SSH shell). */
  readonly pretty?: boolean;
  readonly name?: string;
}

/**
 * JSON lines to stdout by default (journald keeps them), pino-pretty when a
 * human is watching. Components get child loggers (`log.child({component})`),
 * never a global singleton, so tests can pass a silent or capturing logger.
 */
export function createLogger(options: LogOptions = {}): Logger {
  const base: LoggerOptions = {
    name: options.name ?? 'midimon',
    level: options.level ?? process.env['MIDIMON_LOG_LEVEL'] ?? 'info',
  };
  const pretty = options.pretty ?? process.stdout.isTTY === true;
  if (pretty) {
    return pino({ ...base, transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname', singleLine: true } } });
  }
  return pino(base);
}

/** A logger that drops everything: for tests and benches. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
