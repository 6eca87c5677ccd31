import { MidimonError } from '../../errors.js';
import { ByteReader } from './byte-reader.js';
import { ByteWriter } from './byte-writer.js';
import { rewriteBody, type MeterGlobals } from './body-rewriter.js';
import { decodeModule, SECTION, type DecodedModule, type RawSection } from './module-decoder.js';
import type { InstrumentedModule, InstrumentOptions, MemoryInfo, ModuleInfo } from './types.js';

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
  if (!Number.isInteger(o.growCostPerPage) || o.growCostPerPage < 0 || o.growCostPerPage > 0x7fffffff) {
    throw new MidimonError('bad_request', `growCostPerPage must be an integer in 0..2^31-1, got ${o.growCostPerPage}`);
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
  const g: MeterGlobals = { fuel: fuelIdx, growFailed: fuelIdx + 1, growCostPerPage: o.growCostPerPage, typeResults, perOperator };
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
