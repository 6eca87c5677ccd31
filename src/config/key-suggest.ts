import type { KeyPath } from './toml-locate.js';

/**
 * For an unknown key: the keys that are allowed at that place, and the
 * closest one ("did you mean 'long_press_ms'?"). Walks the JSON Schema along
 * the key path, choosing a union's variant by the const values (`type =
 * "Note"`) of the user's own table, so suggestions fit the form they wrote.
 */

type Json = Record<string, unknown>;
const obj = (v: unknown): Json | undefined => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : undefined);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

export class KeySuggester {
  readonly #root: Json;
  readonly #defs: Json;

  constructor(jsonSchema: Json) {
    this.#root = jsonSchema;
    this.#defs = obj(jsonSchema['$defs']) ?? {};
  }

  /** Allowed keys of the table at `path` in `input`, or undefined when the schema there is not a fixed table. */
  knownKeys(input: unknown, path: KeyPath): string[] | undefined {
    let node: Json | undefined = this.#root;
    let value: unknown = input;
    for (const step of path) {
      node = this.#resolve(node, value);
      if (node === undefined) return undefined;
      if (typeof step === 'number') {
        node = obj(node['items']);
        value = Array.isArray(value) ? value[step] : undefined;
      } else {
        node = obj(obj(node['properties'])?.[step]) ?? obj(node['additionalProperties']);
        value = obj(value)?.[step];
      }
    }
    node = this.#resolve(node, value);
    const props = obj(node?.['properties']);
    return props === undefined ? undefined : Object.keys(props);
  }

  /** The closest allowed key when it is a plausible typo (small edit distance) or a truncation (`memory` for `memory_mb`). */
  suggest(unknown: string, known: readonly string[]): string | undefined {
    const lower = unknown.toLowerCase();
    const prefixed = known.filter((k) => unknown.length >= 3 && k.toLowerCase().startsWith(lower));
    if (prefixed.length === 1) return prefixed[0];
    let best: string | undefined;
    let bestDistance = Infinity;
    for (const k of known) {
      const d = distance(unknown.toLowerCase(), k.toLowerCase());
      if (d < bestDistance) {
        best = k;
        bestDistance = d;
      }
    }
    const limit = Math.max(1, Math.min(3, Math.floor(unknown.length / 3)));
    return bestDistance <= limit ? best : undefined;
  }

  #resolve(node: Json | undefined, value: unknown): Json | undefined {
    let n = node;
    for (let guard = 0; n !== undefined && guard < 32; guard++) {
      const ref = n['$ref'];
      if (typeof ref === 'string') {
        n = obj(this.#defs[ref.replace('#/$defs/', '')]);
        continue;
      }
      const union = arr(n['oneOf'] ?? n['anyOf']).map((u) => obj(u) ?? {});
      if (union.length === 0) return n;
      n = union.find((u) => this.#matches(u, value)) ?? union.find((u) => obj(u['properties']) !== undefined || u['oneOf'] !== undefined || u['$ref'] !== undefined);
    }
    return n;
  }

  /** A variant fits when every const property it declares (including nested unions) equals the user's value. */
  #matches(variant: Json, value: unknown): boolean {
    const v = typeof variant['$ref'] === 'string' ? obj(this.#defs[(variant['$ref'] as string).replace('#/$defs/', '')]) ?? {} : variant;
    const union = arr(v['oneOf'] ?? v['anyOf']);
    if (union.length > 0) return union.some((u) => this.#matches(obj(u) ?? {}, value));
    const props = obj(v['properties']);
    if (props === undefined) return false;
    const table = obj(value);
    if (table === undefined) return false;
    return Object.entries(props).every(([k, d]) => {
      const c = obj(d)?.['const'];
      return c === undefined || table[k] === c;
    });
  }
}

/** Edit distance counting an adjacent swap as one edit ("vaule" -> "value"); small strings only. */
function distance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  const at = (i: number, j: number) => d[i]?.[j] ?? 0;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, at(i - 2, j - 2) + 1);
      (d[i] as number[])[j] = v;
    }
  }
  return at(a.length, b.length);
}
