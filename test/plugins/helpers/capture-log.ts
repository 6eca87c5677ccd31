import { pino } from 'pino';
import type { Logger } from '../../../src/log.js';

export interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly plugin?: string;
  readonly [k: string]: unknown;
}

/** A real pino logger whose lines land in an array the test can inspect. */
export function captureLog(): { log: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const log = pino({ level: 'debug' }, { write: (s: string) => void lines.push(JSON.parse(s) as LogLine) });
  return { log, lines };
}
