/**
 * What went wrong, for the OLED banner, the menu's Errors page and
 * `midimon status`. A problem has a key (e.g. "config", "plugin:setlist",
 * "midi-in:Launchpad"): reporting the same key again replaces it, resolving
 * the key clears the banner, and the recent list keeps the history.
 */
export type ProblemSeverity = 'error' | 'warning' | 'info';

export interface Problem {
  readonly key: string;
  readonly at: number;
  readonly severity: ProblemSeverity;
  /** A MidimonError kind or an engine notice code. */
  readonly kind: string;
  readonly message: string;
  readonly source: string;
  readonly details?: string;
}

const RANK: Readonly<Record<ProblemSeverity, number>> = { error: 3, warning: 2, info: 1 };

export class Problems {
  readonly #active = new Map<string, Problem>();
  readonly #recent: Problem[] = [];
  readonly #max: number;
  readonly #listeners = new Set<() => void>();

  constructor(maxRecent = 50) {
    this.#max = maxRecent;
  }

  onChange(fn: () => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  report(problem: Problem): void {
    this.#active.set(problem.key, problem);
    this.#recent.unshift(problem);
    if (this.#recent.length > this.#max) this.#recent.length = this.#max;
    this.#changed();
  }

  /** Clears the banner for `key`; the history keeps it. */
  resolve(key: string): void {
    if (this.#active.delete(key)) this.#changed();
  }

  /** Resolves every active key starting with `prefix` (e.g. a plugin removed from the config). */
  resolvePrefix(prefix: string): void {
    let changed = false;
    for (const key of [...this.#active.keys()]) {
      if (key.startsWith(prefix)) changed = this.#active.delete(key) || changed;
    }
    if (changed) this.#changed();
  }

  /** The most severe unresolved problem, newest first among equals. */
  banner(): Problem | undefined {
    let best: Problem | undefined;
    for (const p of this.#active.values()) {
      if (best === undefined || RANK[p.severity] > RANK[best.severity] || (RANK[p.severity] === RANK[best.severity] && p.at >= best.at)) best = p;
    }
    return best;
  }

  active(): readonly Problem[] {
    return [...this.#active.values()];
  }

  /** Newest first. */
  recent(): readonly Problem[] {
    return this.#recent;
  }

  #changed(): void {
    for (const fn of this.#listeners) fn();
  }
}
