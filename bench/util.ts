/** One printed figure. `name` is the stable key of the final JSON line. */
export interface BenchFigure {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  /** Human target, e.g. '<= 250'; informational, benches never fail on it. */
  readonly target?: string;
}

/** A bench module's default export. */
export type Bench = () => Promise<readonly BenchFigure[]>;

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx] as number;
}

export function summarize(samples: readonly number[]): { p50: number; p99: number; max: number; mean: number } {
  const s = [...samples].sort((a, b) => a - b);
  const mean = s.reduce((a, b) => a + b, 0) / Math.max(1, s.length);
  return { p50: percentile(s, 50), p99: percentile(s, 99), max: s[s.length - 1] ?? Number.NaN, mean };
}

export function geomean(values: readonly number[]): number {
  return Math.exp(values.reduce((a, v) => a + Math.log(v), 0) / Math.max(1, values.length));
}

/** Microseconds since an arbitrary origin, from the monotonic clock. */
export function nowUs(): number {
  return Number(process.hrtime.bigint()) / 1000;
}
