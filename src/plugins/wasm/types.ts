/** What the decoder learns about a module: enough for the loader's ABI checks. */
export type ValType = 'i32' | 'i64' | 'f32' | 'f64' | 'v128' | 'funcref' | 'externref';

export interface FuncSig {
  readonly params: readonly ValType[];
  readonly results: readonly ValType[];
}

export type ExternKind = 'func' | 'table' | 'memory' | 'global' | 'tag';

export interface ImportInfo {
  readonly module: string;
  readonly name: string;
  readonly kind: ExternKind;
  /** Present for function imports. */
  readonly type?: FuncSig;
}

export interface ExportInfo {
  readonly name: string;
  readonly kind: ExternKind;
  /** Present for function exports. */
  readonly type?: FuncSig;
}

export interface MemoryInfo {
  /** Pages of 64 KiB. */
  readonly min: number;
  readonly max?: number;
  readonly shared: boolean;
  readonly memory64: boolean;
  readonly imported: boolean;
}

export interface TableInfo {
  readonly min: number;
  readonly max?: number;
  readonly imported: boolean;
}

export interface ModuleInfo {
  readonly imports: readonly ImportInfo[];
  readonly exports: readonly ExportInfo[];
  readonly memories: readonly MemoryInfo[];
  readonly tables: readonly TableInfo[];
  readonly hasStart: boolean;
  /** Number of functions defined in the module (not imported). */
  readonly definedFunctions: number;
}

/**
 * Counts instantiation must build or copy, capped so that instantiating a
 * module (which no fuel meters, and which the realtime lane does on the MIDI
 * thread) stays short. Exports are the costly item: V8 builds a JS wrapper for
 * each exported function when instantiating (~60 us each here).
 */
export interface ModuleLimits {
  readonly tables: number;
  readonly exports: number;
  /** Imported + defined. */
  readonly functions: number;
  readonly globals: number;
  readonly dataSegments: number;
  readonly elementSegments: number;
}

export interface InstrumentOptions {
  /** Memory cap in 64 KiB pages: the memory's maximum is rewritten to min(declared max, cap). */
  readonly maxMemoryPages: number;
  /** Fuel charged per page requested by memory.grow (in addition to the operator's own 1). */
  readonly growCostPerPage: number;
  /**
   * Fuel every memory.grow costs on top of that, even for 0 pages: V8 runs it
   * as a runtime call (~2-4 us here, a few thousand plain operators' worth).
   * Default DEFAULT_GROW_BASE_COST.
   */
  readonly growBaseCost?: number;
  /**
   * Surcharge of a memory.grow whose result would exceed `largeMemoryPages`:
   * past 64 MiB of linear memory every grow makes V8 (Node 20) run a full
   * garbage collection (its external-memory accounting counts the new buffer
   * in full), 3-50 ms each. Defaults DEFAULT_LARGE_MEMORY_PAGES and
   * DEFAULT_LARGE_GROW_COST.
   */
  readonly largeMemoryPages?: number;
  readonly largeGrowCost?: number;
  /**
   * Past `largeMemoryPages`, a memory.grow of fewer pages than this (but more
   * than 0) fails, returning -1 as a refused grow does, before V8 runs it: a
   * loop growing one page at a time there runs a full GC per page (0.4 s per
   * 64 pages here) and, in a worker, holds off terminate() until it ends (V8's
   * interrupt checks in Liftoff loops count executed code, not time). It then
   * ends at 64 MiB as memory_limit instead of running for seconds.
   * Default DEFAULT_LARGE_GROW_MIN_PAGES; 0 turns it off.
   */
  readonly largeGrowMinPages?: number;
  /**
   * Table cap in entries (table slots live on the engine's heap, not in linear
   * memory): every table's maximum is rewritten to min(declared max, cap), a
   * declared minimum above it is refused. Default DEFAULT_MAX_TABLE_ENTRIES.
   */
  readonly maxTableEntries?: number;
  /** Caps on what instantiation must build (refused above them); defaults MODULE_LIMITS. */
  readonly moduleLimits?: Partial<ModuleLimits>;
  /**
   * Initial value of the fuel global: the budget of everything that runs during
   * instantiation, i.e. the start function (which runs before the host can set
   * the global). Default 10_000_000. After `new WebAssembly.Instance`, fuel
   * consumed by the start function is `initialFuel - remaining`.
   */
  readonly initialFuel?: number | bigint;
  /**
   * When true, the start section is removed and the start function is exported
   * instead (name in InstrumentedModule.startExport): the host calls it right
   * after instantiation, with fuel set like any call, so an out-of-fuel start
   * can be told apart (a trap inside `new Instance` leaves no instance whose
   * fuel global could be read). Semantics are unchanged: the start function
   * runs after the module's data and element segments are applied either way.
   */
  readonly deferStart?: boolean;
}

export interface InstrumentedModule {
  /** The rewritten module: validates with WebAssembly.validate. */
  readonly bytes: Uint8Array;
  /** Info on the original module (imports, exports, memories). */
  readonly info: ModuleInfo;
  /**
   * Export name of the mutable i64 global holding the remaining fuel. The host
   * sets it before a call and reads it after; a value < 0 after a trap means
   * the trap was fuel exhaustion.
   */
  readonly fuelGlobal: string;
  /** Export name of a mutable i32 global set to 1 when a memory.grow returned -1 (memory limit hit). */
  readonly growFailedGlobal: string;
  /** With InstrumentOptions.deferStart and a start section: export name of the start function to call once after instantiation. */
  readonly startExport?: string;
}
