// WAT shared by the plugin benches: the MIDIMon ABI around a body, and wabt to assemble it.
import wabtInit from 'wabt';

const META = '{"name":"bench","version":"1.0.0","description":"bench","author":"bench","license":"MIT","type":"action","capabilities":[]}';
export const ABI_NO_INIT = `
  (memory (export "memory") 2)
  (data (i32.const 16) "${META.replaceAll('"', '\\"')}")
  (func $meta (result i64) (i64.or (i64.shl (i64.const 16) (i64.const 32)) (i64.const ${META.length})))
  (func (export "alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "dealloc") (param i32 i32))`;
export const ABI = `${ABI_NO_INIT} (func (export "init") (result i64) (call $meta))`;
export const TRIVIAL = `(module ${ABI} (func (export "execute") (param i32 i32) (result i32) (i32.const 0)))`;
export const LOOPER = `(module ${ABI} (func (export "execute") (param i32 i32) (result i32) (loop $l (br $l)) (i32.const 0)))`;

export async function wat(text: string): Promise<Uint8Array> {
  const wabt = await wabtInit();
  const m = wabt.parseWat('bench.wat', text, { reference_types: true, bulk_memory: true });
  try {
    return new Uint8Array(m.toBinary({}).buffer);
  } finally {
    m.destroy();
  }
}
