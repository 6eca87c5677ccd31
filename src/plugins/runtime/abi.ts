import { MidimonError } from '../../errors.js';
import { IMPORT_MODULES, formatSig, sameSig } from './import-signatures.js';
import type { FuncSig, ModuleInfo } from '../wasm/types.js';

const i32 = 'i32' as const;
/**
 * The guide's ABI. `dealloc` is optional: desktop MIDIMon never calls it, so
 * plugins written for it may leave it out; when present it must have the
 * guide's type and is called after each execute.
 */
export const REQUIRED_EXPORTS: ReadonlyArray<{ name: string; sig?: FuncSig; optional?: true }> = [
  { name: 'memory' },
  { name: 'init', sig: { params: [], results: ['i64'] } },
  { name: 'execute', sig: { params: [i32, i32], results: [i32] } },
  { name: 'alloc', sig: { params: [i32], results: [i32] } },
  { name: 'dealloc', sig: { params: [i32, i32], results: [] }, optional: true },
];

/** C memory intrinsics an older Rust toolchain imports from `env` in no_std builds without bulk memory. */
const MEMORY_INTRINSICS = new Set(['memmove', 'memcpy', 'memset', 'memcmp']);

function missingImportHint(module: string, name: string): string {
  if (module === 'env' && MEMORY_INTRINSICS.has(name)) {
    return `: an older Rust toolchain imports ${name} in no_std builds; rebuild with RUSTFLAGS="-C target-feature=+bulk-memory" or define ${name} in the plugin (see docs/plugins.md, Compatibility)`;
  }
  return '';
}

/**
 * Refuses, before any plugin code runs, what the sandbox cannot bound:
 * imports it does not provide, imported/shared/64-bit memories, a declared
 * minimum above the cap, and a broken ABI. Errors name the offending item.
 */
export function checkModule(info: ModuleInfo, maxMemoryPages: number): void {
  for (const imp of info.imports) {
    const where = `${imp.module}.${imp.name}`;
    if (imp.kind === 'memory') {
      throw new MidimonError('forbidden_import', `imported memory '${where}' is not allowed: a plugin must define and export its own memory`, { details: { import: where } });
    }
    const table = IMPORT_MODULES[imp.module];
    const expected = table !== undefined && Object.hasOwn(table, imp.name) ? table[imp.name] : undefined;
    if (expected === undefined || imp.kind !== 'func') {
      throw new MidimonError('forbidden_import', `import '${where}' (${imp.kind}) is not provided: plugins may import only wasi_snapshot_preview1 and midimon functions${missingImportHint(imp.module, imp.name)}`, { details: { import: where } });
    }
    if (imp.type !== undefined && !sameSig(imp.type, expected)) {
      throw new MidimonError('bad_signature', `import '${where}' has type ${formatSig(imp.type)}, expected ${formatSig(expected)}`, { details: { import: where } });
    }
  }
  for (const req of REQUIRED_EXPORTS) {
    const exp = info.exports.find((e) => e.name === req.name);
    if (exp === undefined) {
      if (req.optional) continue;
      throw new MidimonError('missing_export', `plugin does not export '${req.name}'`, { details: { export: req.name } });
    }
    const kind = req.sig === undefined ? 'memory' : 'func';
    if (exp.kind !== kind) {
      throw new MidimonError('bad_signature', `export '${req.name}' is a ${exp.kind}, expected a ${kind}`, { details: { export: req.name } });
    }
    if (req.sig !== undefined && exp.type !== undefined && !sameSig(exp.type, req.sig)) {
      throw new MidimonError('bad_signature', `export '${req.name}' has type ${formatSig(exp.type)}, expected ${formatSig(req.sig)}`, { details: { export: req.name } });
    }
  }
  for (const mem of info.memories) {
    if (mem.memory64) throw new MidimonError('invalid_module', '64-bit memories are not supported');
    if (mem.shared) throw new MidimonError('invalid_module', 'shared memories (threads) are not supported');
    if (mem.min > maxMemoryPages) {
      throw new MidimonError('memory_too_large', `memory declares ${mem.min} pages (${mem.min * 64} KiB) minimum, limit is ${maxMemoryPages} pages (${maxMemoryPages * 64} KiB)`, {
        details: { declaredPages: mem.min, limitPages: maxMemoryPages },
      });
    }
  }
}
