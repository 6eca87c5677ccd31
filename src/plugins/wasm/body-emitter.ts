import type { ByteWriter } from './byte-writer.js';

/**
 * Pass 2 of the body rewrite: the snippets each edit kind splices in. Every
 * snippet is stack-neutral or re-pushes the operand it peeked (see
 * docs/fuel.md); each case's comment gives its stack effect.
 */

export interface MeterGlobals {
  readonly fuel: number;
  readonly growFailed: number;
  readonly growCostPerPage: number;
  /** memory.grow: fixed cost of the runtime call, and the surcharge of a grow past `largeMemoryPages` (see InstrumentOptions). */
  readonly growBaseCost: number;
  readonly largeMemoryPages: number;
  readonly largeGrowCost: number;
  /** Past `largeMemoryPages`, grows of 1 to this - 1 pages are refused (InstrumentOptions.largeGrowMinPages); 0: none. */
  readonly largeGrowMinPages: number;
  /** Result count of each type (the arity of a block/if label using it). */
  readonly typeResults: Int32Array;
  /** Reference mode for tests: every operator is its own segment, no merging (slow, obviously exact). */
  readonly perOperator?: boolean;
}

export const E_ENTRY = 0;
export const E_CHARGE = 1;
export const E_LOOP = 2;
export const E_FLUSH = 3;
export const E_RELOAD = 4;
export const E_BULK = 5;
export const E_GROW_PRE = 6;
export const E_GROW_POST = 7;
export const E_BR_IF = 8;
/** Emits nothing: a pending refund of a folded continuation, applied to a then-arm's charge. */
export const E_ADJ = 9;
/** Inserts `else; fuel += refund` before an else-less if's `end` (the false path's refund). */
export const E_ELSE = 10;
/** A segment charge followed by a check: placed where the fuel charged since the last check can be large. */
export const E_CHARGE_CHECK = 11;

/** [i64 fuel] -> []: if fuel < 0 { flush it; unreachable }. */
function checkNeg(out: ByteWriter, fL: number, fuel: number): void {
  out.u8(0x42); out.u8(0x00); out.u8(0x53);
  out.u8(0x04); out.u8(0x40); out.u8(0x20); out.u32(fL); out.u8(0x24); out.u32(fuel); out.u8(0x00); out.u8(0x0b);
}

/**
 * [delta] -> [refuse ? -1 : delta], refuse = 0 < delta < largeGrowMinPages and size + delta > largeMemoryPages:
 * V8 fails a grow of 2^32-1 pages at once (no GC), and the grow-failed flag is set as for any refused grow.
 * `tee`: delta is not yet in the scratch local.
 */
function refuseSmallLargeGrow(out: ByteWriter, tL: number, g: MeterGlobals, tee: boolean): void {
  if (tee) { out.u8(0x22); out.u32(tL); }
  out.u8(0x1a); out.u8(0x41); out.sleb(-1); out.u8(0x20); out.u32(tL);
  out.u8(0x20); out.u32(tL); out.u8(0x41); out.sleb(1); out.u8(0x6b); out.u8(0x41); out.sleb(g.largeGrowMinPages - 1); out.u8(0x49);
  out.u8(0x20); out.u32(tL); out.u8(0xad); out.u8(0x3f); out.u8(0x00); out.u8(0xad); out.u8(0x7c);
  out.u8(0x42); out.sleb(g.largeMemoryPages); out.u8(0x56); out.u8(0x71);
  out.u8(0x1b);
}

/** Where the body's parts are, and the locals the snippets use. */
export interface BodyLayout {
  readonly declCount: number;
  readonly declStart: number;
  readonly declEnd: number;
  readonly bodyEnd: number;
  /** Index of the fuel cache (i64) and scratch (i32) locals. */
  readonly fL: number;
  readonly tL: number;
}

/** The edit list pass 1 produced (parallel arrays, `n` entries, sorted by `at`). */
export interface EditList {
  readonly n: number;
  readonly at: Int32Array;
  readonly kind: Uint8Array;
  readonly val: Float64Array;
  readonly end: Int32Array;
  readonly label: Int32Array;
}

/** Pass 2: copies the body with the snippets of `edits` spliced in (locals header included). */
export function emitBody(buf: Uint8Array, out: ByteWriter, b: BodyLayout, edits: EditList, g: MeterGlobals): void {
  const { declCount, declStart, declEnd, bodyEnd, fL, tL } = b;
  const { n, at: editAt, kind: editKind, val: editVal, end: editEnd, label: editLabel } = edits;
  out.u32(declCount + 2);
  out.bytes(buf, declStart, declEnd);
  out.u8(1); out.u8(0x7e); // fuel cache
  out.u8(1); out.u8(0x7f); // scratch
  let prev = declEnd;
  for (let i = 0; i < n; i++) {
    const at = editAt[i] as number;
    out.bytes(buf, prev, at);
    prev = at;
    const v = editVal[i] as number;
    switch (editKind[i]) {
      case E_ENTRY:
        out.u8(0x23); out.u32(g.fuel);
        if (v !== 0) { out.u8(0x42); out.sleb(v); out.u8(0x7d); }
        out.u8(0x22); out.u32(fL);
        checkNeg(out, fL, g.fuel);
        break;
      case E_CHARGE:
        if (v === 0) break;
        out.u8(0x20); out.u32(fL); out.u8(0x42); out.sleb(v); out.u8(0x7d); out.u8(0x21); out.u32(fL);
        break;
      case E_LOOP:
        out.u8(0x20); out.u32(fL);
        if (v !== 0) { out.u8(0x42); out.sleb(v); out.u8(0x7d); out.u8(0x22); out.u32(fL); }
        checkNeg(out, fL, g.fuel);
        break;
      case E_FLUSH:
        out.u8(0x20); out.u32(fL); out.u8(0x24); out.u32(g.fuel);
        break;
      case E_RELOAD:
        out.u8(0x23); out.u32(g.fuel); out.u8(0x21); out.u32(fL);
        break;
      case E_CHARGE_CHECK:
        out.u8(0x20); out.u32(fL);
        if (v !== 0) { out.u8(0x42); out.sleb(v); out.u8(0x7d); out.u8(0x22); out.u32(fL); }
        checkNeg(out, fL, g.fuel);
        break;
      case E_BULK: // [n] -> [n], fuel -= n, trap when negative
        out.u8(0x22); out.u32(tL); out.u8(0x20); out.u32(fL); out.u8(0x20); out.u32(tL); out.u8(0xad);
        out.u8(0x7d); out.u8(0x22); out.u32(fL);
        checkNeg(out, fL, g.fuel);
        break;
      case E_GROW_PRE: // [delta] -> [delta], fuel -= base + delta * costPerPage + (size + delta > large ? largeCost : 0)
        if (g.growCostPerPage === 0 && g.growBaseCost === 0 && g.largeGrowCost === 0) {
          if (g.largeGrowMinPages > 1) refuseSmallLargeGrow(out, tL, g, true);
          break;
        }
        out.u8(0x22); out.u32(tL); out.u8(0x20); out.u32(fL);
        out.u8(0x20); out.u32(tL); out.u8(0xad); out.u8(0x42); out.sleb(g.growCostPerPage); out.u8(0x7e);
        out.u8(0x42); out.sleb(g.growBaseCost); out.u8(0x7c);
        if (g.largeGrowCost !== 0) {
          out.u8(0x20); out.u32(tL); out.u8(0xad); out.u8(0x3f); out.u8(0x00); out.u8(0xad); out.u8(0x7c);
          out.u8(0x42); out.sleb(g.largeMemoryPages); out.u8(0x56); out.u8(0xad);
          out.u8(0x42); out.sleb(g.largeGrowCost); out.u8(0x7e); out.u8(0x7c);
        }
        out.u8(0x7d); out.u8(0x22); out.u32(fL);
        checkNeg(out, fL, g.fuel);
        if (g.largeGrowMinPages > 1) refuseSmallLargeGrow(out, tL, g, false);
        break;
      case E_BR_IF: { // br_if L -> if (refund; br L+1) when there is something to refund
        if (v === 0) break;
        out.u8(0x04); out.u8(0x40);
        out.u8(0x20); out.u32(fL); out.u8(0x42); out.sleb(-v); out.u8(0x7d); out.u8(0x21); out.u32(fL);
        out.u8(0x0c); out.u32((editLabel[i] as number) + 1); out.u8(0x0b);
        prev = editEnd[i] as number;
        break;
      }
      case E_ELSE:
        out.u8(0x05); out.u8(0x20); out.u32(fL); out.u8(0x42); out.sleb(v); out.u8(0x7d); out.u8(0x21); out.u32(fL);
        break;
      case E_GROW_POST: // [result] -> [result], growFailed |= (result == -1)
        out.u8(0x22); out.u32(tL); out.u8(0x41); out.u8(0x7f); out.u8(0x46);
        out.u8(0x23); out.u32(g.growFailed); out.u8(0x72); out.u8(0x24); out.u32(g.growFailed);
        out.u8(0x20); out.u32(tL);
        break;
    }
  }
  out.bytes(buf, prev, bodyEnd);
}
