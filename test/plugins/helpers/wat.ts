import { readFileSync } from 'node:fs';
import wabtInit from 'wabt';

const wabt = await wabtInit();
const FIXTURES = new URL('../../fixtures/hostile/', import.meta.url);

export interface MetaOverrides {
  readonly [k: string]: unknown;
}

/** The metadata a fixture embeds unless the test overrides fields (null removes a field). */
export function metadataJson(name: string, overrides: MetaOverrides = {}): string {
  const meta: Record<string, unknown> = {
    name, version: '1.0.0', description: `test plugin ${name}`, author: 'tests', license: 'MIT', type: 'action', capabilities: [],
    ...overrides,
  };
  for (const [k, v] of Object.entries(meta)) if (v === null) delete meta[k];
  return JSON.stringify(meta);
}

/** WAT text -> wasm bytes (bulk memory etc. enabled as Rust emits them). */
export function wat(text: string, name = 'inline.wat'): Uint8Array {
  const mod = wabt.parseWat(name, text, { bulk_memory: true, sign_extension: true, mutable_globals: true, sat_float_to_int: true, reference_types: true });
  try {
    mod.resolveNames();
    mod.validate();
    return new Uint8Array(mod.toBinary({}).buffer);
  } finally {
    mod.destroy();
  }
}

/** Escapes a string for a WAT data segment. */
function watString(s: string): string {
  return [...Buffer.from(s)].map((b) => (b >= 0x20 && b < 0x7f && b !== 0x22 && b !== 0x5c ? String.fromCharCode(b) : `\\${b.toString(16).padStart(2, '0')}`)).join('');
}

/**
 * The usual plugin ABI for fixtures that are hostile elsewhere: metadata at
 * address 16, init() pointing at it, a bump allocator from 64 KiB that
 * dealloc resets. Fixtures write {{STD}} to include it (memory >= 2 pages).
 */
const ABI_HEAD = `
  (global $heap (mut i32) (i32.const 65536))
  (data (i32.const 16) "{{META}}")`;
/** init()'s packed (pointer << 32 | length) of the metadata. */
const META_PAIR = '(i64.or (i64.shl (i64.const 16) (i64.const 32)) (i64.const {{META_LEN}}))';
const ABI_ALLOC = `
  (func (export "alloc") (param $n i32) (result i32)
    (local $p i32)
    (local.set $p (global.get $heap))
    (global.set $heap (i32.add (global.get $heap) (local.get $n)))
    (local.get $p))
  (func (export "dealloc") (param i32 i32)
    (global.set $heap (i32.const 65536)))`;
const STD = `${ABI_HEAD}
  (func (export "init") (result i64)
    ${META_PAIR})${ABI_ALLOC}`;

function fillMeta(text: string, meta: string): string {
  return text.replaceAll('{{META}}', watString(meta)).replaceAll('{{META_LEN}}', String(Buffer.byteLength(meta)));
}

/**
 * A module with the fixtures' ABI (2 pages of memory, metadata, allocator)
 * around `body`, which exports init and execute itself; `(call $meta)` gives
 * init's return value. For tests whose init is the subject.
 */
export function abiModule(imports: string, body: string, meta: string = metadataJson('probe')): Uint8Array {
  return wat(fillMeta(`(module ${imports}
  (memory (export "memory") 2)${ABI_HEAD}
  (func $meta (result i64) ${META_PAIR})${ABI_ALLOC}
  ${body})`, meta));
}

/**
 * Compiles test/fixtures/hostile/<file>.wat, filling {{STD}}, {{META}} and
 * {{META_LEN}} (metadata JSON, so fixtures stay readable and lengths right).
 * In requests, byte 11 is the action's first character ({"action":"X...).
 */
export function fixture(file: string, opts: { name?: string; meta?: MetaOverrides; metaText?: string; vars?: Record<string, string | number> } = {}): Uint8Array {
  const base = file.replace(/\.wat$/, '');
  const meta = opts.metaText ?? metadataJson(opts.name ?? base, opts.meta);
  let text = fillMeta(readFileSync(new URL(`${base}.wat`, FIXTURES), 'utf8').replaceAll('{{STD}}', STD), meta);
  for (const [k, v] of Object.entries(opts.vars ?? {})) text = text.replaceAll(`{{${k}}}`, String(v));
  return wat(text, `${base}.wat`);
}
