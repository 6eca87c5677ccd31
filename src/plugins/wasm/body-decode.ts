import { MidimonError } from '../../errors.js';
import type { ByteReader } from './byte-reader.js';

/** Immediate decoding shared by the body walker, with the refusal messages for unsupported features. */

export function unsupported(r: ByteReader, feature: string, at: number): never {
  throw new MidimonError('invalid_module', `${r.where}: ${feature} is not supported at byte offset ${at}`, {
    details: { section: r.where, offset: at, feature },
  });
}

/** Reads a block type; returns the result count. */
export function blockType(r: ByteReader, typeResults: Int32Array): number {
  const at = r.pos;
  const b = r.u8();
  if (b === 0x40) return 0;
  if (b === 0x7f || b === 0x7e || b === 0x7d || b === 0x7c || b === 0x70 || b === 0x6f) return 1;
  if (b === 0x7b) unsupported(r, 'SIMD (v128 block type)', at);
  r.pos = at;
  const idx = r.sleb(33);
  if (idx < 0) unsupported(r, `block type 0x${b.toString(16)} (GC / typed references)`, at);
  if (idx >= typeResults.length) r.fail(`block type index ${idx} out of range`, at);
  return typeResults[idx] as number;
}

export function memIndexZero(r: ByteReader): void {
  const at = r.pos;
  if (r.u32() !== 0) unsupported(r, 'multiple memories', at);
}

export function opcodeFeature(op: number): string {
  if (op === 0xfd) return 'SIMD (0xFD prefix)';
  if (op === 0xfe) return 'threads / atomics (0xFE prefix)';
  if (op === 0xfb) return 'GC (0xFB prefix)';
  if ((op >= 0x06 && op <= 0x0a) || op === 0x18 || op === 0x19 || op === 0x1f) return `exception handling (opcode 0x${op.toString(16)})`;
  if (op === 0x14 || op === 0x15 || (op >= 0xd3 && op <= 0xd6)) return `typed function references (opcode 0x${op.toString(16)})`;
  return `unknown opcode 0x${op.toString(16)}`;
}
