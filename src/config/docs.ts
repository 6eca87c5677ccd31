import { configJsonSchema } from './schema.js';

/**
 * Renders the key reference of docs/configuration.md from the JSON Schema, so
 * the documentation cannot drift from the validator (a test regenerates it and
 * compares). One table per TOML table, variants of tagged unions (trigger
 * and action types) as their own tables.
 */

type Json = Record<string, unknown>;

export const DOCS_BEGIN = '<!-- BEGIN GENERATED REFERENCE: do not edit; run node --import tsx scripts/gen-config-docs.ts -->';
export const DOCS_END = '<!-- END GENERATED REFERENCE -->';

const obj = (v: unknown): Json | undefined => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : undefined);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

class Renderer {
  readonly #defs: Json;
  readonly #out: string[] = [];
  readonly #seenRefs = new Map<string, string>();
  readonly #seenUnions = new Map<string, string>();

  constructor(root: Json) {
    this.#defs = obj(root['$defs']) ?? {};
  }

  render(root: Json): string {
    this.#table('(top level)', root, 'Keys outside any [table].');
    return this.#out.join('\n');
  }

  #deref(s: Json): Json {
    const ref = s['$ref'];
    if (typeof ref !== 'string') return s;
    return obj(this.#defs[ref.replace('#/$defs/', '')]) ?? {};
  }

  /** Members of a union, nested unions flattened (SendMidi is itself a union by `message`). */
  #variants(s: Json): Json[] | undefined {
    const flatten = (x: Json): Json[] => {
      const inner = arr(x['oneOf'] ?? x['anyOf']);
      return inner.length === 0 ? [x] : inner.flatMap((v) => flatten(this.#deref(obj(v) ?? {})));
    };
    const list = arr(s['oneOf'] ?? s['anyOf']).flatMap((v) => flatten(this.#deref(obj(v) ?? {})));
    if (list.length === 0 || !list.every((v) => obj(v['properties']) !== undefined)) return undefined;
    return list;
  }

  /** The discriminator of a tagged union: a property that is a const in every variant. */
  #tag(variants: Json[]): string | undefined {
    const first = obj(variants[0]?.['properties']) ?? {};
    return Object.keys(first).find((k) => variants.every((v) => obj(obj(v['properties'])?.[k])?.['const'] !== undefined));
  }

  #table(title: string, s: Json, description?: string): void {
    const props = obj(s['properties']) ?? {};
    const required = new Set(arr(s['required']) as string[]);
    this.#out.push(`### ${title}`, '');
    if (description !== undefined) this.#out.push(description, '');
    this.#out.push('| key | type | default | allowed values | description |', '|---|---|---|---|---|');
    const nested: Array<() => void> = [];
    const base = title === '(top level)' ? '' : title.replace(/^\[+|\]+$/g, '').replace(/ .*$/, '');
    for (const [key, raw] of Object.entries(props)) {
      const p = this.#deref(obj(raw) ?? {});
      const ref = obj(raw)?.['$ref'];
      const path = base === '' ? key : `${base}.${key}`;
      const dflt = p['default'] === undefined ? (required.has(key) ? '*required*' : '') : `\`${JSON.stringify(p['default'])}\``;
      this.#out.push(`| \`${key}\` | ${this.#type(p)} | ${dflt} | ${this.#allowed(p)} | ${this.#describe(p)} |`);
      const items = obj(p['items']) === undefined ? undefined : this.#deref(obj(p['items']) ?? {});
      const variants = this.#variants(p) ?? (items === undefined ? undefined : this.#variants(items));
      if (typeof ref === 'string' && this.#seenRefs.has(ref)) continue;
      if (typeof ref === 'string') this.#seenRefs.set(ref, path);
      if (obj(p['properties']) !== undefined) nested.push(() => this.#table(`[${path}]`, p, this.#describe(p) || undefined));
      else if (items !== undefined && obj(items['properties']) !== undefined) nested.push(() => this.#table(`[[${path}]]`, items));
      else if (obj(p['additionalProperties']) !== undefined && obj(obj(p['additionalProperties'])?.['properties']) !== undefined) {
        nested.push(() => this.#table(`[${path}.NAME]`, obj(p['additionalProperties']) ?? {}, this.#describe(p) || undefined));
      } else if (variants !== undefined) {
        const signature = JSON.stringify(variants);
        const first = this.#seenUnions.get(signature);
        if (first !== undefined) {
          this.#out.pop();
          this.#out.push(`| \`${key}\` | ${this.#type(p)} | ${dflt} |  | same forms as \`${first}\` |`);
          continue;
        }
        this.#seenUnions.set(signature, path);
        for (const v of variants) {
          const consts = Object.entries(obj(v['properties']) ?? {})
            .filter(([, d]) => obj(d)?.['const'] !== undefined)
            .map(([k, d]) => `${k} = ${JSON.stringify(obj(d)?.['const'])}`);
          nested.push(() => this.#table(`${path}${consts.length === 0 ? '' : ` (${consts.join(', ')})`}`, v));
        }
      }
    }
    this.#out.push('');
    for (const n of nested) n();
  }

  #type(p: Json): string {
    if (p['const'] !== undefined) return `\`${JSON.stringify(p['const'])}\``;
    const variants = this.#variants(p);
    if (variants !== undefined) {
      const tag = this.#tag(variants);
      return tag === undefined ? 'table (one of several forms)' : `table, by \`${tag}\``;
    }
    const union = arr(p['anyOf'] ?? p['oneOf']);
    if (union.length > 0) return union.map((u) => this.#type(this.#deref(obj(u) ?? {}))).join(' or ');
    const t = p['type'];
    if (t === 'array') {
      const items = this.#deref(obj(p['items']) ?? {});
      return `array of ${this.#type(items)}`;
    }
    if (t === 'object') return 'table';
    if (Array.isArray(t)) return t.join(' or ');
    if (typeof t === 'string') return t;
    return 'any';
  }

  #allowed(p: Json): string {
    const parts: string[] = [];
    const e = arr(p['enum']);
    if (e.length > 0) parts.push(e.map((v) => `\`${JSON.stringify(v)}\``).join(', '));
    const min = p['minimum'];
    const max = p['maximum'];
    if (min !== undefined && max !== undefined) parts.push(`${String(min)}..${String(max)}`);
    else if (min !== undefined) parts.push(`>= ${String(min)}`);
    else if (max !== undefined) parts.push(`<= ${String(max)}`);
    if (p['minLength'] !== undefined && p['minLength'] !== 1) parts.push(`length >= ${String(p['minLength'])}`);
    if (p['minLength'] === 1) parts.push('non-empty');
    if (p['maxLength'] !== undefined) parts.push(`length <= ${String(p['maxLength'])}`);
    if (p['minItems'] !== undefined) parts.push(`at least ${String(p['minItems'])} entries`);
    if (p['maxItems'] !== undefined) parts.push(`at most ${String(p['maxItems'])} entries`);
    if (typeof p['pattern'] === 'string') parts.push(`matches \`${p['pattern']}\``);
    const items = obj(p['items']);
    if (items !== undefined && parts.length === 0) {
      const inner = this.#allowed(this.#deref(items));
      if (inner !== '') parts.push(`each: ${inner}`);
    }
    const names = obj(p['propertyNames']);
    if (names !== undefined && typeof names['pattern'] === 'string') parts.push(`names match \`${names['pattern']}\``);
    return parts.join('; ').replace(/\|/g, '\\|');
  }

  #describe(p: Json): string {
    return typeof p['description'] === 'string' ? p['description'].replace(/\|/g, '\\|') : '';
  }
}

export function renderConfigReference(): string {
  const schema = configJsonSchema();
  return new Renderer(schema).render(schema);
}

/** Replaces the generated block of a docs page (markers kept). */
export function spliceReference(page: string, reference: string): string {
  const a = page.indexOf(DOCS_BEGIN);
  const b = page.indexOf(DOCS_END);
  if (a < 0 || b < a) throw new Error('docs page has no generated-reference markers');
  return `${page.slice(0, a + DOCS_BEGIN.length)}\n\n${reference.trimEnd()}\n\n${page.slice(b)}`;
}
