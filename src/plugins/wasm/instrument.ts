import { MidimonError } from '../../errors.js';
import { ByteReader } from './byte-reader.js';
import { ByteWriter } from './byte-writer.js';
import { rewriteBody, type MeterGlobals } from './body-rewriter.js';
import { decodeModule, SECTION, type DecodedModule, type RawSection } from './module-decoder.js';
import type { InstrumentedModule, InstrumentOptions, MemoryInfo, ModuleInfo, ModuleLimits } from './types.js';

/**
 * The fuel instrumenter's public API: a pure bytes -> bytes rewrite (no I/O,
 * no engine state). See docs/fuel.md for the cost model and the scheme.
 */

const FUEL_EXPORT = '__midimon_fuel';
const GROW_FAILED_EXPORT = '__midimon_grow_failed';
const START_EXPORT = '__midimon_start';
/** Highest page count a 32-bit memory may declare. */
const MAX_PAGES = 65536;
/** Start-function budget when InstrumentOptions.initialFuel is not given. */
export const DEFAULT_INITIAL_FUEL = 10_000_000;
/** memory.grow's own runtime call: 100k grow(0) took 185-400 ms here, ~2-4 us each, what ~5,000 operators of a plain loop cost at HOST_CALL_FUEL's calibration. */
export const DEFAULT_GROW_BASE_COST = 5000;
/** 64 MiB: past it, every grow costs a V8 full GC (see InstrumentOptions.largeGrowCost). */
export const DEFAULT_LARGE_MEMORY_PAGES = 1024;
/** ~2-4 ms of plain wasm: a quiet machine's full GC; a 100M budget then allows ~25 such grows. */
export const DEFAULT_LARGE_GROW_COST = 4_000_000;
/** 16 MiB: past 64 MiB a memory grows in steps of at least this, so at most 4 steps to the desktop profile's 128 MiB. */
export const DEFAULT_LARGE_GROW_MIN_PAGES = 256;
/** 10k table.grow(1) took 0.8 ms here; 65,536 slots are 0.5 MiB of engine heap. */
export const DEFAULT_MAX_TABLE_ENTRIES = 65536;
/**
 * Instantiation caps, far above what Rust, clang and AssemblyScript emit for
 * a plugin (a handful of tables and exports, a few thousand functions); each
 * costs at most a few ms to instantiate here (exports: ~60 us each).
 */
export const MODULE_LIMITS: ModuleLimits = {
  tables: 4,
  exports: 128,
  functions: 100_000,
  globals: 10_000,
  dataSegments: 10_000,
  elementSegments: 10_000,
};

/**
 * Decodes imports, exports (with function signatures), memories, start and the
 * defined function count. Malformed input throws MidimonError('invalid_module')
 * naming the section and byte offset; nothing else is ever thrown.
 */
export function inspectModule(bytes: Uint8Array): ModuleInfo {
  return guarded(() => decodeModule(bytes).info);
}

/**
 * Returns the module rewritten for fuel metering and the memory cap. Refuses
 * (MidimonError) imported memories ('forbidden_import'), a declared minimum
 * above the cap ('memory_too_large') and unsupported features such as
 * memory64, shared memory, SIMD, exceptions or GC ('invalid_module'). The
 * output is checked with WebAssembly.validate before it is returned.
 */
export function instrument(bytes: Uint8Array, options: InstrumentOptions): InstrumentedModule {
  return instrumentWith(bytes, options, false);
}

/**
 * Reference instrumentation for tests: charges every operator on its own (no
 * segment merging), so its fuel counts are exact by construction. Same output
 * contract as instrument(), several times slower to run.
 */
export function instrumentPerOperator(bytes: Uint8Array, options: InstrumentOptions): InstrumentedModule {
  return instrumentWith(bytes, options, true);
}

function instrumentWith(bytes: Uint8Array, options: InstrumentOptions, perOperator: boolean): InstrumentedModule {
  checkOptions(options);
  return guarded(() => {
    const mod = decodeModule(bytes);
    refuse(mod, options);
    const fuelName = uniqueName(FUEL_EXPORT, mod.exportNames);
    const growName = uniqueName(GROW_FAILED_EXPORT, mod.exportNames);
    const startName = options.deferStart === true && mod.startFunc >= 0 ? uniqueName(START_EXPORT, mod.exportNames) : undefined;
    const names: ExportNames = { fuel: fuelName, grow: growName, start: startName };
    const out = rewrite(bytes, mod, options, names, perOperator);
    if (!WebAssembly.validate(out)) {
      throw new MidimonError('invalid_module', `module does not validate: ${compileError(bytes, out)}`);
    }
    const result: InstrumentedModule = { bytes: out, info: mod.info, fuelGlobal: fuelName, growFailedGlobal: growName };
    return startName === undefined ? result : { ...result, startExport: startName };
  });
}

function checkOptions(o: InstrumentOptions): void {
  if (!Number.isInteger(o.maxMemoryPages) || o.maxMemoryPages < 0 || o.maxMemoryPages > MAX_PAGES) {
    throw new MidimonError('bad_request', `maxMemoryPages must be an integer in 0..${MAX_PAGES}, got ${o.maxMemoryPages}`);
  }
  for (const [k, v] of Object.entries({ growCostPerPage: o.growCostPerPage, growBaseCost: o.growBaseCost, largeGrowCost: o.largeGrowCost, largeMemoryPages: o.largeMemoryPages, largeGrowMinPages: o.largeGrowMinPages, maxTableEntries: o.maxTableEntries })) {
    if (v !== undefined && (!Number.isInteger(v) || v < 0 || v > 0x7fffffff)) {
      throw new MidimonError('bad_request', `${k} must be an integer in 0..2^31-1, got ${v}`);
    }
  }
  const f = o.initialFuel;
  if (f !== undefined && !(typeof f === 'bigint' ? f >= 0n && f < 2n ** 63n : Number.isSafeInteger(f) && f >= 0)) {
    throw new MidimonError('bad_request', `initialFuel must be a non-negative integer below 2^63, got ${String(f)}`);
  }
}

/** Anything but a MidimonError escaping the decoder is a decoder bug: still report it as a load error. */
function guarded<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof MidimonError) throw err;
    throw new MidimonError('invalid_module', `could not decode module: ${err instanceof Error ? err.message : String(err)}`, {
      cause: err,
      details: { internal: true },
    });
  }
}

/** The engine's own reason, for the error message (only on the failure path). */
function compileError(original: Uint8Array, out: Uint8Array): string {
  for (const b of [original, out]) {
    try {
      new WebAssembly.Module(b);
    } catch (err) {
      return err instanceof Error ? err.message : String(err);
    }
  }
  return 'rejected by WebAssembly.validate';
}

function refuse(mod: DecodedModule, o: InstrumentOptions): void {
  refuseCounts(mod, { ...MODULE_LIMITS, ...o.moduleLimits });
  const tableCap = o.maxTableEntries ?? DEFAULT_MAX_TABLE_ENTRIES;
  mod.info.tables.forEach((t, i) => {
    if (t.min > tableCap) {
      throw new MidimonError('memory_too_large', `table ${i} declares a minimum of ${t.min} entries, the limit is ${tableCap} entries`, {
        details: { table: i, declaredEntries: t.min, limitEntries: tableCap },
      });
    }
  });
  const imported = mod.info.imports.find((i) => i.kind === 'memory');
  if (imported !== undefined) {
    throw new MidimonError('forbidden_import', `imported memory "${imported.module}.${imported.name}" is not allowed: a plugin must define its own memory`, {
      details: { module: imported.module, name: imported.name },
    });
  }
  const feature = mod.refusedFeatures[0];
  if (feature !== undefined) throw new MidimonError('invalid_module', `${feature} is not supported`, { details: { feature } });
  const mems = mod.info.memories;
  if (mems.length > 1) throw new MidimonError('invalid_module', `multiple memories (${mems.length}) are not supported`, { details: { feature: 'multi-memory' } });
  const m: MemoryInfo | undefined = mems[0];
  if (m === undefined) return;
  if (m.memory64) throw new MidimonError('invalid_module', 'memory64 is not supported', { details: { feature: 'memory64' } });
  if (m.shared) throw new MidimonError('invalid_module', 'shared memory (threads) is not supported', { details: { feature: 'threads' } });
  if (m.min > o.maxMemoryPages) {
    throw new MidimonError('memory_too_large', `memory declares a minimum of ${m.min} pages, the limit is ${o.maxMemoryPages} pages`, {
      details: { declaredPages: m.min, limitPages: o.maxMemoryPages },
    });
  }
}

function refuseCounts(mod: DecodedModule, l: ModuleLimits): void {
  const i = mod.info;
  const counts: ReadonlyArray<readonly [keyof ModuleLimits, number, string]> = [
    ['tables', i.tables.length, 'tables'],
    ['exports', i.exports.length, 'exports'],
    ['functions', mod.importedFuncs + i.definedFunctions, 'functions'],
    ['globals', mod.importedGlobals + mod.definedGlobals, 'globals'],
    ['dataSegments', mod.dataSegments, 'data segments'],
    ['elementSegments', mod.elementSegments, 'element segments'],
  ];
  for (const [key, n, what] of counts) {
    if (n > l[key]) {
      throw new MidimonError('invalid_module', `module has ${n} ${what}, the limit is ${l[key]} (instantiating is not metered, so its size is capped)`, {
        details: { limit: key, count: n, max: l[key] },
      });
    }
  }
}

function uniqueName(base: string, taken: ReadonlySet<string>): string {
  let name = base;
  for (let i = 1; taken.has(name); i++) name = `${base}_${i}`;
  return name;
}

/** Known sections' position in the required order, to place sections we add. */
const ORDER: Record<number, number> = { 1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 13: 6, 6: 7, 7: 8, 8: 9, 9: 10, 12: 11, 10: 12, 11: 13 };

interface ExportNames {
  readonly fuel: string;
  readonly grow: string;
  readonly start: string | undefined;
}

function rewrite(bytes: Uint8Array, mod: DecodedModule, o: InstrumentOptions, names: ExportNames, perOperator: boolean): Uint8Array {
  const fuelIdx = mod.importedGlobals + mod.definedGlobals;
  const initialFuel = BigInt(o.initialFuel ?? DEFAULT_INITIAL_FUEL);
  const extraExports = names.start === undefined ? 2 : 3;
  const typeResults = Int32Array.from(mod.types, (t) => t?.results.length ?? 0);
  const g: MeterGlobals = {
    fuel: fuelIdx, growFailed: fuelIdx + 1, growCostPerPage: o.growCostPerPage, typeResults, perOperator,
    growBaseCost: o.growBaseCost ?? DEFAULT_GROW_BASE_COST,
    largeMemoryPages: o.largeMemoryPages ?? DEFAULT_LARGE_MEMORY_PAGES,
    largeGrowCost: o.largeGrowCost ?? DEFAULT_LARGE_GROW_COST,
    largeGrowMinPages: o.largeGrowMinPages ?? DEFAULT_LARGE_GROW_MIN_PAGES,
  };
  const out = new ByteWriter(bytes.length + (bytes.length >> 2) + 256);
  out.bytes(bytes, 0, 8);
  const hasGlobal = mod.sections.some((s) => s.id === SECTION.global);
  const hasExport = mod.sections.some((s) => s.id === SECTION.export);
  let addedGlobal = hasGlobal;
  let addedExport = hasExport;
  const addMissing = (beforeOrder: number): void => {
    if (!addedGlobal && beforeOrder > ORDER[SECTION.global]!) {
      section(out, SECTION.global, (w) => { w.u32(2); newGlobals(w, initialFuel); });
      addedGlobal = true;
    }
    if (!addedExport && beforeOrder > ORDER[SECTION.export]!) {
      section(out, SECTION.export, (w) => { w.u32(extraExports); newExports(w, names, fuelIdx, mod.startFunc); });
      addedExport = true;
    }
  };
  for (const s of mod.sections) {
    if (s.id !== SECTION.custom) addMissing(ORDER[s.id]!);
    switch (s.id) {
      case SECTION.memory:
        section(out, s.id, (w) => memorySection(w, mod.info.memories[0], o.maxMemoryPages));
        break;
      case SECTION.table:
        section(out, s.id, (w) => tableSection(w, bytes, s, o.maxTableEntries ?? DEFAULT_MAX_TABLE_ENTRIES));
        break;
      case SECTION.global:
        section(out, s.id, (w) => { prefixedVec(w, bytes, s, 2); newGlobals(w, initialFuel); });
        break;
      case SECTION.export:
        section(out, s.id, (w) => { prefixedVec(w, bytes, s, extraExports); newExports(w, names, fuelIdx, mod.startFunc); });
        break;
      case SECTION.code:
        codeSection(out, bytes, s, mod, g);
        break;
      case SECTION.start:
        if (names.start === undefined) out.bytes(bytes, s.start, s.end);
        break;
      default:
        out.bytes(bytes, s.start, s.end);
    }
  }
  addMissing(Number.MAX_SAFE_INTEGER);
  return out.finish();
}

/** Writes section `id` whose payload `fill` produces (through a scratch buffer, to know its size). */
function section(out: ByteWriter, id: number, fill: (w: ByteWriter) => void): void {
  const w = new ByteWriter(256);
  fill(w);
  out.u8(id);
  out.u32(w.length);
  out.bytes(w.view());
}

/** Re-emits a vector section with `extra` more entries: new count, then the original entries verbatim. */
function prefixedVec(w: ByteWriter, bytes: Uint8Array, s: RawSection, extra: number): void {
  const r = new ByteReader(bytes, s.payloadStart, s.end);
  const count = r.u32();
  w.u32(count + extra);
  w.bytes(bytes, r.pos, s.end);
}

function newGlobals(w: ByteWriter, initialFuel: bigint): void {
  w.u8(0x7e); w.u8(0x01); w.u8(0x42); w.slebBig(initialFuel); w.u8(0x0b); // fuel: mut i64 = start budget
  w.u8(0x7f); w.u8(0x01); w.u8(0x41); w.u8(0x00); w.u8(0x0b); // grow failed: mut i32 = 0
}

function newExports(w: ByteWriter, names: ExportNames, fuelIdx: number, startFunc: number): void {
  const entry = (name: string, kind: number, idx: number): void => {
    const b = new TextEncoder().encode(name);
    w.u32(b.length);
    w.bytes(b);
    w.u8(kind);
    w.u32(idx);
  };
  entry(names.fuel, 0x03, fuelIdx);
  entry(names.grow, 0x03, fuelIdx + 1);
  if (names.start !== undefined) entry(names.start, 0x00, startFunc);
}

/** Re-emits the table section with every maximum capped (element types copied; limits rewritten). */
function tableSection(w: ByteWriter, bytes: Uint8Array, s: RawSection, cap: number): void {
  const r = new ByteReader(bytes, s.payloadStart, s.end);
  r.where = 'table section';
  const count = r.u32();
  w.u32(count);
  for (let i = 0; i < count; i++) {
    w.u8(r.u8()); // element type (checked by the decoder)
    const flags = r.u8();
    const min = r.u32();
    const declared = (flags & 1) !== 0 ? r.u32() : cap;
    w.u8(0x01);
    w.u32(min);
    w.u32(Math.min(declared, cap));
  }
}

function memorySection(w: ByteWriter, m: MemoryInfo | undefined, cap: number): void {
  if (m === undefined) { w.u32(0); return; }
  const max = m.max === undefined ? cap : Math.min(m.max, cap);
  w.u32(1);
  w.u8(0x01);
  w.u32(m.min);
  w.u32(max);
}

// One scratch buffer for all bodies (instrument() is synchronous).
const bodyScratch = new ByteWriter(64 * 1024);

function codeSection(out: ByteWriter, bytes: Uint8Array, s: RawSection, mod: DecodedModule, g: MeterGlobals): void {
  const r = new ByteReader(bytes, s.payloadStart, s.end);
  r.where = 'code section';
  const count = r.u32();
  const payload = new ByteWriter(bytes.length + (bytes.length >> 2) + 64);
  payload.u32(count);
  for (let i = 0; i < count; i++) {
    r.where = `code section, function ${mod.importedFuncs + i}`;
    const size = r.u32();
    const start = r.pos;
    if (size > s.end - start) r.fail(`body size ${size} exceeds the section`);
    const end = start + size;
    const sig = mod.types[mod.funcTypes[i]!];
    const br = new ByteReader(bytes, start, end);
    br.where = r.where;
    const bw = bodyScratch;
    bw.reset();
    rewriteBody(br, bw, sig?.params.length ?? 0, g);
    payload.u32(bw.length);
    payload.bytes(bw.view());
    r.pos = end;
  }
  if (r.pos !== s.end) r.fail('bytes after the last function body');
  out.u8(SECTION.code);
  out.u32(payload.length);
  out.bytes(payload.view());
}
