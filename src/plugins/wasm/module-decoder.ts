import { ByteReader } from './byte-reader.js';
import type { ExportInfo, ExternKind, FuncSig, ImportInfo, MemoryInfo, ModuleInfo, TableInfo, ValType } from './types.js';

/** Section ids in the order the binary format requires (custom sections may appear anywhere). */
export const SECTION = {
  custom: 0, type: 1, import: 2, function: 3, table: 4, memory: 5, global: 6, export: 7,
  start: 8, element: 9, code: 10, data: 11, dataCount: 12, tag: 13,
} as const;

const SECTION_NAMES = ['custom', 'type', 'import', 'function', 'table', 'memory', 'global', 'export',
  'start', 'element', 'code', 'data', 'data count', 'tag'];
/** Position of each known section id in the required order. */
const ORDER: Record<number, number> = { 1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 13: 6, 6: 7, 7: 8, 8: 9, 9: 10, 12: 11, 10: 12, 11: 13 };

export interface RawSection {
  readonly id: number;
  /** Offset of the section id byte. */
  readonly start: number;
  /** Payload range. */
  readonly payloadStart: number;
  readonly end: number;
}

/** Everything the rewriter needs beyond ModuleInfo. */
export interface DecodedModule {
  readonly info: ModuleInfo;
  readonly sections: readonly RawSection[];
  readonly types: readonly (FuncSig | null)[];
  /** Type index of each defined function. */
  readonly funcTypes: readonly number[];
  readonly importedFuncs: number;
  readonly importedGlobals: number;
  readonly definedGlobals: number;
  /** Features seen outside code bodies that instrument() refuses (e.g. 'SIMD (v128 type)'). */
  readonly refusedFeatures: readonly string[];
  readonly exportNames: ReadonlySet<string>;
  /** Index of the start function, -1 without a start section. */
  readonly startFunc: number;
  /** Entries of the data and element sections (the sections themselves are copied verbatim). */
  readonly dataSegments: number;
  readonly elementSegments: number;
}

const VALTYPES: Record<number, ValType> = {
  0x7f: 'i32', 0x7e: 'i64', 0x7d: 'f32', 0x7c: 'f64', 0x7b: 'v128', 0x70: 'funcref', 0x6f: 'externref',
};
const EXTERN_KINDS: readonly ExternKind[] = ['func', 'table', 'memory', 'global', 'tag'];

class Decoder {
  readonly r: ByteReader;
  readonly types: (FuncSig | null)[] = [];
  readonly funcTypes: number[] = [];
  readonly imports: ImportInfo[] = [];
  readonly exports: { name: string; kind: ExternKind; index: number }[] = [];
  readonly memories: MemoryInfo[] = [];
  readonly tables: TableInfo[] = [];
  dataSegments = 0;
  elementSegments = 0;
  readonly importFuncTypes: number[] = [];
  readonly refused: string[] = [];
  importedGlobals = 0;
  definedGlobals = 0;
  hasStart = false;
  startFunc = -1;
  codeCount: number | null = null;

  constructor(bytes: Uint8Array) {
    this.r = new ByteReader(bytes);
  }

  refuse(feature: string): void {
    if (!this.refused.includes(feature)) this.refused.push(feature);
  }

  valType(): ValType {
    const at = this.r.pos;
    const b = this.r.u8();
    const t = VALTYPES[b];
    if (t === undefined) {
      if (b === 0x63 || b === 0x64 || (b >= 0x69 && b <= 0x6e) || (b >= 0x71 && b <= 0x74)) {
        this.r.fail(`GC / typed function reference value type 0x${b.toString(16)} is not supported`, at);
      }
      this.r.fail(`unknown value type 0x${b.toString(16)}`, at);
    }
    if (t === 'v128') this.refuse('SIMD (v128 value type)');
    return t;
  }

  limits(kind: 'memory' | 'table'): { min: number; max?: number; shared: boolean; is64: boolean } {
    const at = this.r.pos;
    const flags = this.r.u8();
    if (flags > 7 || (kind === 'table' && (flags & 2) !== 0)) this.r.fail(`unknown ${kind} limits flags 0x${flags.toString(16)}`, at);
    const is64 = (flags & 4) !== 0;
    const shared = (flags & 2) !== 0;
    if (is64 && kind === 'table') this.r.fail('table64 (memory64 proposal) is not supported', at);
    let min: number;
    let max: number | undefined;
    if (is64) {
      // memory64 limits are u64: keep what fits, the module is refused anyway.
      min = this.r.sleb(64);
      if ((flags & 1) !== 0) max = this.r.sleb(64);
    } else {
      min = this.r.u32();
      if ((flags & 1) !== 0) max = this.r.u32();
    }
    return max === undefined ? { min, shared, is64 } : { min, max, shared, is64 };
  }

  tableType(imported: boolean): void {
    const at = this.r.pos;
    const rt = this.r.u8();
    if (rt !== 0x70 && rt !== 0x6f) this.r.fail(`unsupported table element type 0x${rt.toString(16)}`, at);
    const l = this.limits('table');
    this.tables.push(l.max === undefined ? { min: l.min, imported } : { min: l.min, max: l.max, imported });
  }

  globalType(): void {
    this.valType();
    const at = this.r.pos;
    const m = this.r.u8();
    if (m > 1) this.r.fail(m & 2 ? 'shared globals (threads) are not supported' : `bad global mutability ${m}`, at);
  }

  /** Skips a constant expression up to and including its `end`. */
  constExpr(): void {
    for (;;) {
      const at = this.r.pos;
      const op = this.r.u8();
      switch (op) {
        case 0x0b: return;
        case 0x41: this.r.sleb(32); break;
        case 0x42: this.r.sleb(64); break;
        case 0x43: this.r.skip(4); break;
        case 0x44: this.r.skip(8); break;
        case 0x23: this.r.u32(); break;
        case 0xd0: this.r.u8(); break;
        case 0xd2: this.r.u32(); break;
        case 0x6a: case 0x6b: case 0x6c: case 0x7c: case 0x7d: case 0x7e: break; // extended-const
        case 0xfd: this.refuse('SIMD (0xFD prefix)'); this.r.u32(); this.r.skip(16); break;
        default: this.r.fail(`unsupported opcode 0x${op.toString(16)} in constant expression`, at);
      }
    }
  }

  typeSection(): void {
    const n = this.r.u32();
    for (let i = 0; i < n; i++) {
      const at = this.r.pos;
      const form = this.r.u8();
      if (form !== 0x60) {
        if (form === 0x4e || form === 0x50 || form === 0x4f || form === 0x5f || form === 0x5e) {
          this.r.fail('GC types (rec/sub/struct/array) are not supported', at);
        }
        this.r.fail(`unknown type form 0x${form.toString(16)}`, at);
      }
      const np = this.r.u32();
      const params: ValType[] = [];
      for (let j = 0; j < np; j++) params.push(this.valType());
      const nr = this.r.u32();
      const results: ValType[] = [];
      for (let j = 0; j < nr; j++) results.push(this.valType());
      this.types.push({ params, results });
    }
  }

  sig(typeIdx: number, at: number): FuncSig {
    const t = this.types[typeIdx];
    if (t === undefined || t === null) this.r.fail(`type index ${typeIdx} out of range`, at);
    return t;
  }

  importSection(): void {
    const n = this.r.u32();
    for (let i = 0; i < n; i++) {
      const module = this.r.name();
      const name = this.r.name();
      const at = this.r.pos;
      const k = this.r.u8();
      switch (k) {
        case 0: {
          const ti = this.r.u32();
          this.importFuncTypes.push(ti);
          this.imports.push({ module, name, kind: 'func', type: this.sig(ti, at) });
          break;
        }
        case 1: this.tableType(true); this.imports.push({ module, name, kind: 'table' }); break;
        case 2: {
          const l = this.limits('memory');
          this.memories.push({ ...this.memInfo(l), imported: true });
          this.imports.push({ module, name, kind: 'memory' });
          break;
        }
        case 3: this.globalType(); this.importedGlobals++; this.imports.push({ module, name, kind: 'global' }); break;
        case 4:
          this.r.u8();
          this.r.u32();
          this.refuse('exception handling (tag import)');
          this.imports.push({ module, name, kind: 'tag' });
          break;
        default: this.r.fail(`unknown import kind ${k}`, at);
      }
    }
  }

  memInfo(l: { min: number; max?: number; shared: boolean; is64: boolean }): Omit<MemoryInfo, 'imported'> {
    return l.max === undefined
      ? { min: l.min, shared: l.shared, memory64: l.is64 }
      : { min: l.min, max: l.max, shared: l.shared, memory64: l.is64 };
  }

  functionSection(): void {
    const n = this.r.u32();
    for (let i = 0; i < n; i++) {
      const at = this.r.pos;
      const ti = this.r.u32();
      this.sig(ti, at);
      this.funcTypes.push(ti);
    }
  }

  vecOf(fn: () => void): void {
    const n = this.r.u32();
    for (let i = 0; i < n; i++) fn();
  }

  exportSection(): void {
    const seen = new Set<string>();
    this.vecOf(() => {
      const name = this.r.name();
      const at = this.r.pos;
      const k = this.r.u8();
      const kind = EXTERN_KINDS[k];
      if (kind === undefined) this.r.fail(`unknown export kind ${k}`, at);
      const index = this.r.u32();
      if (seen.has(name)) this.r.fail(`duplicate export name "${name}"`, at);
      seen.add(name);
      this.exports.push({ name, kind, index });
    });
  }

  sections(): RawSection[] {
    const r = this.r;
    r.where = 'header';
    if (r.end < 8) r.fail('too short for a WebAssembly module');
    const b = r.buf;
    if (b[0] !== 0 || b[1] !== 0x61 || b[2] !== 0x73 || b[3] !== 0x6d) r.fail('bad magic (not a WebAssembly module)', 0);
    if (b[4] !== 1 || b[5] !== 0 || b[6] !== 0 || b[7] !== 0) r.fail('unsupported binary version (components are not modules)', 4);
    r.pos = 8;
    const out: RawSection[] = [];
    let last = 0;
    while (!r.eof()) {
      const start = r.pos;
      r.where = 'section header';
      const id = r.u8();
      const size = r.u32();
      const payloadStart = r.pos;
      if (size > r.end - payloadStart) r.fail(`section size ${size} exceeds the ${r.end - payloadStart} bytes left`, start);
      const end = payloadStart + size;
      if (id !== 0) {
        const ord = ORDER[id];
        if (ord === undefined) return r.fail(`unknown section id ${id}`, start);
        if (ord <= last) r.fail(`section ${SECTION_NAMES[id]} out of order or duplicated`, start);
        last = ord;
      }
      out.push({ id, start, payloadStart, end });
      r.pos = payloadStart;
      r.end = end;
      r.where = `${SECTION_NAMES[id]} section`;
      this.section(id);
      if (r.pos !== end) r.fail(`section ends at ${r.pos}, declared end is ${end}`);
      r.end = b.length;
    }
    if (this.codeCount === null && this.funcTypes.length > 0) {
      r.where = 'module';
      r.fail(`${this.funcTypes.length} functions declared but no code section`, r.end);
    }
    return out;
  }

  section(id: number): void {
    const r = this.r;
    switch (id) {
      case SECTION.custom: r.name(); r.pos = r.end; break; // contents are opaque
      case SECTION.type: this.typeSection(); break;
      case SECTION.import: this.importSection(); break;
      case SECTION.function: this.functionSection(); break;
      case SECTION.table: this.vecOf(() => this.tableType(false)); break;
      case SECTION.memory:
        this.vecOf(() => this.memories.push({ ...this.memInfo(this.limits('memory')), imported: false }));
        break;
      case SECTION.tag: this.refuse('exception handling (tag section)'); r.pos = r.end; break;
      case SECTION.global:
        this.vecOf(() => {
          this.globalType();
          this.constExpr();
          this.definedGlobals++;
        });
        break;
      case SECTION.export: this.exportSection(); break;
      case SECTION.start: this.startFunc = r.u32(); this.hasStart = true; break;
      // Copied verbatim (checked by validation); only their entry counts matter here.
      case SECTION.element: this.elementSegments = r.u32(); r.pos = r.end; break;
      case SECTION.data: this.dataSegments = r.u32(); r.pos = r.end; break;
      case SECTION.dataCount: r.u32(); break;
      case SECTION.code: {
        const at = r.pos;
        const n = r.u32();
        if (n !== this.funcTypes.length) r.fail(`${n} bodies for ${this.funcTypes.length} declared functions`, at);
        this.codeCount = n;
        r.pos = r.end; // bodies are walked by the rewriter
        break;
      }
      default: r.fail(`unknown section id ${id}`);
    }
  }

  funcSig(index: number): FuncSig | undefined {
    const imported = this.importFuncTypes.length;
    const ti = index < imported ? this.importFuncTypes[index] : this.funcTypes[index - imported];
    return ti === undefined ? undefined : (this.types[ti] ?? undefined);
  }
}

/** Decodes the module structure (not the code bodies). Throws MidimonError('invalid_module'). */
export function decodeModule(bytes: Uint8Array): DecodedModule {
  const d = new Decoder(bytes);
  const sections = d.sections();
  const exports: ExportInfo[] = d.exports.map((e) => {
    if (e.kind !== 'func') return { name: e.name, kind: e.kind };
    const type = d.funcSig(e.index);
    return type === undefined ? { name: e.name, kind: e.kind } : { name: e.name, kind: e.kind, type };
  });
  return {
    info: {
      imports: d.imports,
      exports,
      memories: d.memories,
      tables: d.tables,
      hasStart: d.hasStart,
      definedFunctions: d.funcTypes.length,
    },
    sections,
    types: d.types,
    funcTypes: d.funcTypes,
    importedFuncs: d.importFuncTypes.length,
    importedGlobals: d.importedGlobals,
    definedGlobals: d.definedGlobals,
    refusedFeatures: d.refused,
    exportNames: new Set(d.exports.map((e) => e.name)),
    startFunc: d.startFunc,
    dataSegments: d.dataSegments,
    elementSegments: d.elementSegments,
  };
}
