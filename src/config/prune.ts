/**
 * Lets the later checks (references, footswitch names, plugin files) run on a
 * config the schema refused, so one `config check` reports every problem
 * instead of 3, then 5 more after fixing those. The entries the schema
 * refused (a mapping, a route, a plugin table, a footswitch, a setting) are
 * cut out of a copy of the parsed TOML; what is left is validated again and
 * cross-checked, and the cross-check's paths are mapped back to the file's
 * own indices. Names of cut plugins and footswitches still count as known,
 * so cutting never invents an "unknown plugin". Where cutting is not safe (a
 * mode itself is malformed: other entries name it) the later checks are
 * skipped, as before.
 */
import type { KeyPath } from './toml-locate.js';

export interface Pruned {
  readonly raw: unknown;
  /** Plugin and footswitch names that were cut but exist in the file. */
  readonly knownPlugins: readonly string[];
  readonly knownSwitches: readonly string[];
  /** A path in the pruned copy, back in the file's indices. */
  readonly toOriginal: (path: KeyPath) => KeyPath;
}

type Container = Record<string, unknown> | unknown[];

/** Arrays whose entries may be cut one by one; nobody refers to them by index. */
const CUTTABLE_ARRAYS: ReadonlyArray<(p: KeyPath) => number> = [
  // modes[i].mappings[j], modes[i].on_enter[j], modes[i].on_exit[j]
  (p) => (p[0] === 'modes' && typeof p[1] === 'number' && (p[2] === 'mappings' || p[2] === 'on_enter' || p[2] === 'on_exit') && typeof p[3] === 'number' ? 4 : 0),
  (p) => (p[0] === 'global_mappings' && typeof p[1] === 'number' ? 2 : 0),
  (p) => (p[0] === 'routes' && typeof p[1] === 'number' ? 2 : 0),
  (p) => (p[0] === 'menu' && p[1] === 'controls' && typeof p[2] === 'number' ? 3 : 0),
  (p) => (p[0] === 'devices' && p[1] === 'footswitches' && typeof p[2] === 'number' ? 3 : 0),
  (p) => (p[0] === 'devices' && p[1] === 'midi' && (p[2] === 'inputs' || p[2] === 'outputs') && typeof p[3] === 'number' ? 4 : 0),
  (p) => (p[0] === 'plugins' && typeof p[1] === 'string' ? 2 : 0),
];

/** The prefix of `path` to cut, or undefined when no safe cut exists. */
function cutFor(path: KeyPath, raw: unknown): KeyPath | undefined {
  for (const rule of CUTTABLE_ARRAYS) {
    const n = rule(path);
    if (n > 0) return path.slice(0, n);
  }
  // A mode's own setting other than its name (an unknown key, a bad curve): cut just that key.
  if (path[0] === 'modes' && typeof path[1] === 'number' && typeof path[2] === 'string' && path[2] !== 'name' && path[2] !== 'mappings' && valueAt(raw, path.slice(0, 3)) !== undefined) return path.slice(0, 3);
  // modes[i] itself: other entries name it, cutting would invent "unknown mode" errors.
  if (path[0] === 'modes' || path.length === 0) return undefined;
  // A setting in a section with defaults (timing.x, usb.y): cut the key, the default applies.
  // A missing required key: cut its parent instead (there is nothing to cut at the key).
  // Inside an array no rule covers: cut the whole array (its default applies).
  const firstIndex = path.findIndex((p) => typeof p === 'number');
  let cut = firstIndex < 0 ? path : path.slice(0, firstIndex);
  while (cut.length > 0 && valueAt(raw, cut) === undefined) cut = cut.slice(0, -1);
  return cut.length === 0 ? undefined : cut;
}

function valueAt(raw: unknown, path: KeyPath): unknown {
  let v: unknown = raw;
  for (const p of path) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Record<string | number, unknown>)[p];
  }
  return v;
}

/**
 * A copy of `raw` without the entries at `issuePaths`, or undefined when one
 * of them cannot be cut safely.
 */
export function pruneInvalid(raw: unknown, issuePaths: readonly KeyPath[]): Pruned | undefined {
  const copy = structuredClone(raw);
  const cuts: KeyPath[] = [];
  for (const p of issuePaths) {
    const cut = cutFor(p, raw);
    if (cut === undefined) return undefined;
    if (!cuts.some((c) => c.length === cut.length && c.every((x, i) => x === cut[i]))) cuts.push(cut);
  }
  const knownPlugins: string[] = [];
  const knownSwitches: string[] = [];
  /** Original indices kept, per array (keyed by its path in the file). */
  const kept = new Map<string, number[]>();
  const removed = new Map<string, Set<number>>();
  for (const cut of cuts) {
    const parentPath = cut.slice(0, -1);
    const last = cut[cut.length - 1];
    if (cut[0] === 'plugins' && typeof last === 'string') knownPlugins.push(last);
    if (cut[1] === 'footswitches' && typeof last === 'number') {
      const name = valueAt(raw, [...cut, 'name']);
      if (typeof name === 'string') knownSwitches.push(name);
    }
    if (typeof last === 'number') {
      const key = JSON.stringify(parentPath);
      const set = removed.get(key) ?? new Set<number>();
      set.add(last);
      removed.set(key, set);
    } else {
      const parent = valueAt(copy, parentPath);
      if (typeof parent === 'object' && parent !== null && !Array.isArray(parent)) delete (parent as Record<string, unknown>)[last as string];
    }
  }
  for (const [key, set] of removed) {
    const parentPath = JSON.parse(key) as KeyPath;
    const arr = valueAt(copy, parentPath) as Container | undefined;
    if (!Array.isArray(arr)) continue;
    const keep = arr.map((_, i) => i).filter((i) => !set.has(i));
    kept.set(key, keep);
    const next = keep.map((i) => arr[i]);
    arr.length = 0;
    arr.push(...next);
  }
  const toOriginal = (path: KeyPath): KeyPath => {
    const out: (string | number)[] = [];
    for (const p of path) {
      const map = typeof p === 'number' ? kept.get(JSON.stringify(out)) : undefined;
      out.push(map === undefined ? p : (map[p as number] ?? p));
    }
    return out;
  };
  return { raw: copy, knownPlugins, knownSwitches, toOriginal };
}
