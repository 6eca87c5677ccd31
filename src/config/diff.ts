import type { BoxConfig } from './schema.js';

/**
 * What changed between two configs, at the granularity the composition root
 * acts on: `devices.midi` (reopen ports), `devices.display`, `plugins.NAME`
 * (reload one plugin), `modes` / `routes` (swap engine tables, release notes
 * whose mode or route vanished), `logging.level`, ... Tables are compared one
 * level down; arrays and scalars as a whole.
 */
export interface ConfigDiff {
  /** Changed top-level sections: `devices`, `modes`, `plugins`, ... */
  readonly sections: readonly string[];
  /** Changed keys one level down where the section is a table: `devices.midi`, `plugins.looper`, `limits.profile`; else the section. */
  readonly keys: readonly string[];
  /** true for the initial apply (everything is new). */
  readonly initial: boolean;
  /** Whether `prefix` (`devices`, `devices.midi`, `plugins.looper`) or anything under it changed. */
  has(prefix: string): boolean;
}

function isTable(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

/** Deep equality for parsed TOML data (plain objects, arrays, scalars, dates). */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime();
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isTable(a) && isTable(b)) {
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => deepEqual(a[k], b[k]));
  }
  return false;
}

export function diffConfig(previous: BoxConfig | undefined, next: BoxConfig): ConfigDiff {
  const keys: string[] = [];
  const prev = (previous ?? {}) as Record<string, unknown>;
  const cur = next as unknown as Record<string, unknown>;
  for (const section of new Set([...Object.keys(prev), ...Object.keys(cur)])) {
    const a = prev[section];
    const b = cur[section];
    if (deepEqual(a, b)) continue;
    if (isTable(a) && isTable(b)) {
      for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) if (!deepEqual(a[key], b[key])) keys.push(`${section}.${key}`);
    } else if (isTable(b) && a === undefined) {
      for (const key of Object.keys(b)) keys.push(`${section}.${key}`);
      if (Object.keys(b).length === 0) keys.push(section);
    } else keys.push(section);
  }
  const sections = [...new Set(keys.map((k) => k.split('.')[0] ?? k))];
  return {
    sections,
    keys,
    initial: previous === undefined,
    has: (prefix) => keys.some((k) => k === prefix || k.startsWith(`${prefix}.`) || prefix.startsWith(`${k}.`)),
  };
}
