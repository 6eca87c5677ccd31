/**
 * How things that happen in the box become problems on the OLED banner, the
 * menu's Errors page and `midimon status`: a refused config, an engine
 * notice, a transient "installed" message that clears by itself.
 */
import { basename } from 'node:path';
import { formatIssue, type ConfigIssue } from '../config/issues.js';
import type { NoticeEffect } from '../engine/types.js';
import type { MidimonError } from '../errors.js';
import type { Scheduler } from '../runtime/ports.js';
import type { Problem, Problems } from './problems.js';

const NOTICE_BANNER_MS = 10_000;

export class Notices {
  readonly #problems: Problems;
  readonly #scheduler: Scheduler;
  /** One clear-timer per transient problem key, so a repeated notice gets its full time. */
  readonly #clearTimers = new Map<string, unknown>();

  constructor(problems: Problems, scheduler: Scheduler) {
    this.#problems = problems;
    this.#scheduler = scheduler;
  }

  /** Reports a moment rather than a state: the banner clears by itself, the Errors page keeps it. */
  transient(problem: Omit<Problem, 'at'>): void {
    this.#problems.report({ ...problem, at: this.#scheduler.now() });
    const key = problem.key;
    const pending = this.#clearTimers.get(key);
    if (pending !== undefined) this.#scheduler.clearTimeout(pending);
    this.#clearTimers.set(
      key,
      this.#scheduler.setTimeout(() => {
        this.#clearTimers.delete(key);
        this.#problems.resolve(key);
      }, NOTICE_BANNER_MS),
    );
  }

  /** An engine notice; info (a device connected) is only logged by the engine, so it returns false. */
  engine(n: NoticeEffect): boolean {
    if (n.level === 'info') return false;
    this.transient({ key: `notice:${n.code}`, severity: n.level === 'warn' ? 'warning' : n.level, kind: n.code, message: n.message, source: 'engine' });
    return true;
  }

  /** The banner has two short lines: lead with where (file:line) and what (key path), details go to the Errors page. */
  configRejected(error: MidimonError, configPath: string): void {
    const issues = (error.details?.['issues'] as readonly ConfigIssue[] | undefined) ?? [];
    const first = issues[0];
    const where = first === undefined ? basename(configPath) : `${basename(first.file)}${first.line === undefined ? '' : `:${first.line}`}`;
    const what = first === undefined ? error.message : `${first.path}${first.path === '' ? '' : ': '}${first.message}`;
    const more = issues.length > 1 ? ` (+${issues.length - 1} more)` : '';
    this.#problems.report({
      key: 'config',
      at: this.#scheduler.now(),
      severity: 'error',
      kind: error.kind,
      message: `${where} ${what}${more}`,
      source: configPath,
      details: issues.map(formatIssue).join('\n') || error.message,
    });
  }

  stop(): void {
    for (const t of this.#clearTimers.values()) this.#scheduler.clearTimeout(t);
    this.#clearTimers.clear();
  }
}
