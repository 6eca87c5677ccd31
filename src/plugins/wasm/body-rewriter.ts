import type { ByteReader } from './byte-reader.js';
import { blockType, memIndexZero, opcodeFeature, unsupported } from './body-decode.js';
import type { ByteWriter } from './byte-writer.js';
import {
  E_ADJ, E_BR_IF, E_BULK, E_CHARGE, E_CHARGE_CHECK, E_ELSE, E_ENTRY, E_FLUSH, E_GROW_POST, E_GROW_PRE, E_LOOP, E_RELOAD, emitBody,
  type MeterGlobals,
} from './body-emitter.js';

export type { MeterGlobals } from './body-emitter.js';

/**
 * Meters one function body (see docs/fuel.md for the scheme).
 *
 * Pass 1 walks the instructions once, splitting them into straight-line
 * segments and recording edits (insertion points) in parallel number arrays.
 * Pass 2 copies the original bytes between edits and splices the snippets in.
 * Every snippet is stack-neutral (or re-pushes the operand it peeked), so the
 * original code's typing is untouched.
 */

const C_BLOCK = 0;
const C_LOOP = 1;
const C_IF = 2;
const C_ELSE = 3;
const C_FUNC = 4;

/** V8's per-function local limit. */
const MAX_LOCALS = 50000;
/**
 * Fuel a function may charge without a check in between (an estimate over
 * all paths): past it a segment's charge gets a check. Entries, loop headers,
 * returns from calls and bulk/grow operators check anyway; this bounds the
 * straight-line code after a loop or across many `if` arms, which otherwise
 * runs unchecked however long it is.
 */
export const CHECK_INTERVAL = 10_000;

// Reused across calls: instrumenting is synchronous and single-threaded.
let editAt = new Int32Array(1024);
let editKind = new Uint8Array(1024);
let editVal = new Float64Array(1024);
/** E_BR_IF: end of the original instruction, label, segment charged, next pending edit of the frame. */
let editEnd = new Int32Array(1024);
let editLabel = new Int32Array(1024);
let editSeg = new Int32Array(1024);
let editNext = new Int32Array(1024);
/** Cost a segment handed to the segment before its `if` (see the fold below): still its own for refunds. */
let editMoved = new Float64Array(1024);
let ctlKind = new Uint8Array(256);
/** Segment that was current when the frame opened (resumed after it when nothing escapes). */
let ctlSeg = new Int32Array(256);
/** Outermost frame index any branch inside the frame targets (== own index: nothing escapes). */
let ctlMin = new Int32Array(256);
/** 1 when some branch targets the frame's own label. */
let ctlSelf = new Uint8Array(256);
/** For `if` frames: the segment that starts the then-arm. */
let ctlThen = new Int32Array(256);
/** Label arity of block/if frames (forward br_if is only rewritten to arity-0 labels). */
let ctlArity = new Int32Array(256);
/** Head of the list of E_BR_IF edits targeting the frame whose refund is still open (-1: none). */
let ctlPend = new Int32Array(256);
/** 1 while an `if` arm is straight-line code with at most one branch (its last instruction). */
let ctlSimple = new Uint8Array(256);
/** For simple arms: frame index the arm's branch targets (-1: none yet) and where the branch ends. */
let ctlExit = new Int32Array(256);
let ctlExitEnd = new Int32Array(256);
/** Unchecked charge when the frame opened, and the charges closed inside it (for the bound at its end). */
let ctlAcc = new Float64Array(256);
let ctlSum = new Float64Array(256);

type Scratch = Int32Array | Uint8Array | Float64Array;

/** A copy of `a` with room for `n` entries (the scratch tables grow by doubling). */
function grown<T extends Scratch>(a: T, n: number): T {
  const b = new (a.constructor as new (length: number) => T)(n);
  b.set(a);
  return b;
}

function growEdits(): void {
  const n = editAt.length * 2;
  editAt = grown(editAt, n);
  editKind = grown(editKind, n);
  editVal = grown(editVal, n);
  editEnd = grown(editEnd, n);
  editLabel = grown(editLabel, n);
  editSeg = grown(editSeg, n);
  editNext = grown(editNext, n);
  editMoved = grown(editMoved, n);
}

function growCtl(): void {
  const n = ctlKind.length * 2;
  ctlKind = grown(ctlKind, n);
  ctlSeg = grown(ctlSeg, n);
  ctlMin = grown(ctlMin, n);
  ctlSelf = grown(ctlSelf, n);
  ctlThen = grown(ctlThen, n);
  ctlArity = grown(ctlArity, n);
  ctlPend = grown(ctlPend, n);
  ctlSimple = grown(ctlSimple, n);
  ctlExit = grown(ctlExit, n);
  ctlExitEnd = grown(ctlExitEnd, n);
  ctlAcc = grown(ctlAcc, n);
  ctlSum = grown(ctlSum, n);
}

// Per-body walk state, module-level so the helpers below are plain functions
// (closures per body cost measurably under tsx's keepNames transform).
let rd: ByteReader;
let n = 0; // edits
let cur = -1; // index of the edit charging the current segment, -1 when unreachable
let cost = 0;
let depth = 0;
// True while the fuel local is known to equal the global (right after a reload
// or flush, with no charge or control merge since): a flush there is redundant.
let synced = false;
// Fuel charged since the last check, bounded over the paths to here; the
// current segment's cost when it became current; whether a check placed after
// the current segment's start (a call's return, a bulk op) covers its charge.
let acc = 0;
let segBase = 0;
let segChecked = false;
// The current segment was made current again after a construct (resume): a check at its start is
// before that construct, so converting it does not reset `acc`.
let segResumed = false;

function checkedKind(k: number): boolean {
  return k === E_ENTRY || k === E_LOOP || k === E_CHARGE_CHECK;
}

/** A check runs here: it covers every charge made before it on this path. */
function checkPoint(): void {
  acc = 0;
  segChecked = true;
}

function push(at: number, kind: number): number {
  if (n === editAt.length) growEdits();
  editAt[n] = at;
  editKind[n] = kind;
  editVal[n] = 0;
  editMoved[n] = 0;
  return n++;
}

function close(): void {
  if (cur >= 0) {
    editVal[cur] = cost;
    const d = cost - segBase;
    if (d > 0) {
      if (depth > 0) ctlSum[depth - 1] = (ctlSum[depth - 1] as number) + d;
      if (!segChecked && !checkedKind(editKind[cur] as number)) {
        acc += d;
        if (acc > CHECK_INTERVAL && editKind[cur] === E_CHARGE) {
          editKind[cur] = E_CHARGE_CHECK;
          if (!segResumed) acc = 0;
        }
      }
    }
  }
  cost = 0;
  segBase = 0;
  segChecked = false;
  segResumed = false;
  synced = false;
}

/** Makes segment `sg` current again with its charge so far (code after a construct joins it). */
function resume(sg: number): void {
  cur = sg;
  cost = sg >= 0 ? (editVal[sg] as number) : 0;
  segBase = cost;
  segResumed = true;
}

/**
 * After a call: the callee's entry check covered this segment's charge, but the
 * callee may return overdrawn by its unchecked tail. The next new charge in this
 * function is checked (acc at the interval), so unwinding a deep stack cannot
 * add one unchecked stretch per frame; code after the call inside the segment
 * was paid for before the call, so fib-like callers get no extra check.
 */
function reload(at: number): void {
  push(at, E_RELOAD);
  segChecked = true;
  acc = Math.max(acc, CHECK_INTERVAL);
  synced = true;
}

function bulk(at: number): void {
  push(at, E_BULK);
  checkPoint();
  synced = false;
}

function flush(at: number): void {
  if (!synced) push(at, E_FLUSH);
  synced = true;
}

function startSeg(at: number, kind: number): void {
  close();
  cur = push(at, kind);
  if (kind === E_LOOP) acc = 0;
}

function dead(): void {
  close();
  cur = -1;
}

function target(l: number, at: number): boolean {
  if (l >= depth) rd.fail(`branch depth ${l} exceeds nesting ${depth}`, at);
  const idx = depth - 1 - l;
  if (idx < (ctlMin[depth - 1] as number)) ctlMin[depth - 1] = idx;
  ctlSelf[idx] = 1;
  return idx === 0;
}

function open(kind: number, arity: number): void {
  if (depth === ctlKind.length) growCtl();
  ctlSimple[depth - 1] = 0;
  ctlKind[depth] = kind;
  ctlSimple[depth] = kind === C_IF ? 1 : 0;
  ctlExit[depth] = -1;
  ctlSeg[depth] = cur;
  ctlMin[depth] = depth;
  ctlSelf[depth] = 0;
  ctlArity[depth] = arity;
  ctlPend[depth] = -1;
  ctlAcc[depth] = acc;
  ctlSum[depth] = 0;
  depth++;
}

/** Frame `f` (of kind `k`) ended: the unchecked charge after it covers every path through it. */
function leave(f: number, k: number): void {
  if (k !== C_LOOP) acc = Math.max(acc, (ctlAcc[f] as number) + (ctlSum[f] as number));
  ctlSum[f - 1] = (ctlSum[f - 1] as number) + (ctlSum[f] as number);
}

/** Cost charged so far by segment `sg` (open or closed). */
function segCost(sg: number): number {
  return (sg === cur ? cost : (editVal[sg] as number)) + (editMoved[sg] as number);
}

/** Frame `k` ends: every forward br_if to it skipped what its segment charged after it. */
function settle(k: number): void {
  for (let e = ctlPend[k] as number; e >= 0; e = editNext[e] as number) {
    const skipped = segCost(editSeg[e] as number) - (editVal[e] as number);
    if (editKind[e] === E_ADJ) {
      const arm = editLabel[e] as number;
      editVal[arm] = (editVal[arm] as number) - skipped;
    } else {
      editVal[e] = skipped;
    }
  }
}

/** An unconditional exit (br / return) to frame `idx`, ending at `end`: keeps a simple if-arm simple. */
function exitTo(idx: number, end: number): void {
  const k = depth - 1;
  if (ctlSimple[k] === 1 && ctlExit[k] === -1) {
    ctlExit[k] = idx;
    ctlExitEnd[k] = end;
  } else {
    ctlSimple[k] = 0;
  }
}

/**
 * Rewrites the body in r.pos..r.end (locals + expression) into `out`, without
 * the size prefix. `params` is the function's parameter count.
 */
export function rewriteBody(r: ByteReader, out: ByteWriter, params: number, g: MeterGlobals): void {
  const buf = r.buf;
  const bodyEnd = r.end;
  // Locals: keep the original declarations, append the fuel cache (i64) and a scratch i32.
  const declCount = r.u32();
  const declStart = r.pos;
  let total = params;
  for (let i = 0; i < declCount; i++) {
    const at = r.pos;
    total += r.u32();
    const t = r.u8();
    if (t === 0x7b) unsupported(r, 'SIMD (v128 local)', at);
    if (t !== 0x7f && t !== 0x7e && t !== 0x7d && t !== 0x7c && t !== 0x70 && t !== 0x6f) {
      r.fail(`unsupported local type 0x${t.toString(16)}`, at);
    }
    if (total + 2 > MAX_LOCALS) r.fail(`more than ${MAX_LOCALS} locals`, at);
  }
  const declEnd = r.pos;
  const fL = total;
  const tL = total + 1;
  rd = r;
  n = 0;
  cur = -1;
  cost = 0;
  depth = 0;
  synced = false;

  ctlKind[0] = C_FUNC;
  ctlMin[0] = 0;
  ctlPend[0] = -1;
  ctlAcc[0] = 0;
  ctlSum[0] = 0;
  depth = 1;
  cur = push(declEnd, E_ENTRY);
  // wasmtime charges 1 for entering a function (even an empty one costs 1).
  cost = 1;
  segBase = 0;
  segChecked = false;
  segResumed = false;
  acc = 0;
  const growChecks = g.growCostPerPage !== 0 || g.growBaseCost !== 0 || g.largeGrowCost !== 0;

  const naive = g.perOperator === true;
  let pos = declEnd;
  while (depth > 0) {
    if (pos >= bodyEnd) r.fail('function body ends before its final end', pos);
    const at = pos;
    const op = buf[pos++] as number;
    if (naive && cost !== 0) startSeg(at, E_CHARGE);
    // Fast path: numeric operators without immediates, the bulk of real code.
    if (op >= 0x45 && op <= 0xc4) {
      cost++;
      continue;
    }
    r.pos = pos;
    switch (op) {
      case 0x00: dead(); break; // unreachable
      case 0x01: break; // nop
      case 0x02: // block
        open(C_BLOCK, blockType(r, g.typeResults));
        break;
      case 0x03: // loop
        open(C_LOOP, blockType(r, g.typeResults));
        startSeg(r.pos, E_LOOP);
        break;
      case 0x04: // if
        cost++;
        open(C_IF, blockType(r, g.typeResults));
        startSeg(r.pos, E_CHARGE);
        ctlThen[depth - 1] = cur;
        ctlAcc[depth - 1] = acc;
        break;
      case 0x05: // else
        if (ctlKind[depth - 1] !== C_IF) r.fail('else without if', at);
        ctlKind[depth - 1] = C_ELSE;
        startSeg(r.pos, E_CHARGE);
        acc = ctlAcc[depth - 1] as number; // the else arm starts where the if did
        synced = false;
        break;
      case 0x0b: { // end
        depth--;
        const k = ctlKind[depth];
        settle(depth);
        const min = ctlMin[depth] as number;
        if (k === C_FUNC) {
          if (cur < 0) synced = false; // reached by branches only: sync state unknown
          flush(at);
          close();
          if (r.pos !== bodyEnd) r.fail('bytes after the function body\'s final end', r.pos);
          break;
        }
        if (min < (ctlMin[depth - 1] as number)) ctlMin[depth - 1] = min;
        if (k === C_LOOP) {
          // The code after a loop runs once per exit, but the segment current at
          // the end may also have been charged on iterations (fold below): split.
          if (cur >= 0) startSeg(r.pos, E_CHARGE);
          leave(depth, k);
          synced = false;
          break;
        }
        const pre = ctlSeg[depth] as number;
        const then = ctlThen[depth] as number;
        const exit = ctlExit[depth] as number;
        if (naive) {
          startSeg(r.pos, E_CHARGE);
        } else if (k === C_IF && cur < 0 && min < depth && ctlSelf[depth] === 0 && pre >= 0 && then >= 0 &&
          ctlSimple[depth] === 1 && exit >= 0 && exit < depth && ctlExitEnd[depth] === at && editKind[pre] !== E_LOOP) {
          // `if T end C` where T is straight-line code ending in its only branch
          // (`continue`, `break`, `return` inside a loop body): assume T is the
          // rare path. C joins the segment before the if (the hot path pays no
          // extra charge) and T's charge refunds what that segment charges from
          // here to the end of T's target, which T skips.
          close();
          resume(pre);
          const e = push(r.pos, E_ADJ);
          editSeg[e] = pre;
          editLabel[e] = then;
          editVal[e] = segCost(pre);
          editNext[e] = ctlPend[exit] as number;
          ctlPend[exit] = e;
        } else if (k === C_IF && cur < 0 && min < depth && ctlSelf[depth] === 0 && pre >= 0 && then >= 0) {
          // `if T end` whose arm never falls through (e.g. a loop body ending in
          // `br $loop`): the end is reached only when the condition was false.
          // Charge T's first segment up front with the code before the if (the hot
          // path pays one charge) and refund it on the false path.
          const t = editVal[then] as number;
          editVal[pre] = (editVal[pre] as number) + t;
          editVal[then] = 0;
          editMoved[then] = t;
          startSeg(r.pos, E_CHARGE);
          cost = -t;
          segBase = -t;
        } else if (k === C_IF && pre >= 0 && then >= 0 && editKind[pre] === E_LOOP && (editVal[then] as number) !== 0) {
          // binaryen's loop shape, `loop; if cond; body; ... end; end` with a body that
          // can fall through: charge the body's first segment with the loop header and
          // refund it in an `else` we add (an else-less if has params == results, so an
          // else holding stack-neutral code is valid).
          close();
          cur = -1;
          const t = editVal[then] as number;
          editVal[pre] = (editVal[pre] as number) + t;
          editVal[then] = 0;
          editMoved[then] = t;
          const e = push(at, E_ELSE);
          editVal[e] = -t;
          if (min >= depth) {
            resume(pre);
          } else {
            startSeg(r.pos, E_CHARGE);
          }
        } else if (min >= depth) {
          // Nothing inside branched past this frame: the code after it runs exactly
          // once per run of the code before it, so it joins that segment.
          close();
          resume(ctlSeg[depth] as number);
        } else {
          startSeg(r.pos, E_CHARGE);
        }
        leave(depth, k as number);
        synced = false;
        break;
      }
      case 0x0c: { // br
        cost++;
        const l = r.u32();
        if (target(l, at)) flush(at);
        exitTo(depth - 1 - l, r.pos);
        dead();
        break;
      }
      case 0x0d: { // br_if
        cost++;
        ctlSimple[depth - 1] = 0;
        const l = r.u32();
        if (target(l, at)) {
          flush(at);
          startSeg(r.pos, E_CHARGE);
          break;
        }
        const k = depth - 1 - l;
        if (naive || ctlKind[k] === C_LOOP || ctlArity[k] !== 0 || cur < 0) {
          startSeg(r.pos, E_CHARGE);
          break;
        }
        // Forward exit, assumed rare (a switch lowered to a br_if chain, a loop's
        // break): the fall-through code stays in this segment, and the taken edge
        // refunds what the segment charged between here and the target's end.
        const e = push(at, E_BR_IF);
        editEnd[e] = r.pos;
        editLabel[e] = l;
        editSeg[e] = cur;
        editVal[e] = cost; // snapshot; settle() turns it into the refund
        editNext[e] = ctlPend[k] as number;
        ctlPend[k] = e;
        break;
      }
      case 0x0e: { // br_table
        cost++;
        ctlSimple[depth - 1] = 0;
        const cnt = r.u32();
        let toFunc = false;
        for (let i = 0; i <= cnt; i++) if (target(r.u32(), at)) toFunc = true;
        if (toFunc) flush(at);
        dead();
        break;
      }
      case 0x0f: target(depth - 1, at); flush(at); exitTo(0, r.pos); dead(); break; // return
      case 0x10: r.u32(); cost++; flush(at); reload(r.pos); break; // call
      case 0x11: r.u32(); r.u32(); cost++; flush(at); reload(r.pos); break; // call_indirect
      case 0x12: r.u32(); cost++; target(depth - 1, at); flush(at); dead(); break; // return_call
      case 0x13: r.u32(); r.u32(); cost++; target(depth - 1, at); flush(at); dead(); break; // return_call_indirect
      case 0x1a: break; // drop
      case 0x1b: cost++; break; // select
      case 0x1c: { // select t*
        const cnt = r.u32();
        for (let i = 0; i < cnt; i++) {
          const tat = r.pos;
          const t = r.u8();
          if (t === 0x7b) unsupported(r, 'SIMD (v128 select)', tat);
          if (t !== 0x7f && t !== 0x7e && t !== 0x7d && t !== 0x7c && t !== 0x70 && t !== 0x6f) r.fail('bad select type', tat);
        }
        cost++;
        break;
      }
      case 0x20: case 0x21: case 0x22: case 0x23: case 0x24: case 0x25: case 0x26:
        r.u32(); cost++; break;
      case 0x3f: memIndexZero(r); cost++; break; // memory.size
      case 0x40: // memory.grow
        memIndexZero(r); cost++;
        push(at, E_GROW_PRE); push(r.pos, E_GROW_POST);
        if (growChecks) checkPoint();
        synced = false;
        break;
      case 0x41: r.sleb(32); cost++; break;
      case 0x42: r.sleb(64); cost++; break;
      case 0x43: r.skip(4); cost++; break;
      case 0x44: r.skip(8); cost++; break;
      case 0xd0: { // ref.null
        const tat = r.pos;
        const t = r.u8();
        if (t !== 0x70 && t !== 0x6f) unsupported(r, `ref.null of type 0x${t.toString(16)} (GC)`, tat);
        cost++;
        break;
      }
      case 0xd1: cost++; break; // ref.is_null
      case 0xd2: r.u32(); cost++; break; // ref.func
      case 0xfc: {
        const sub = r.u32();
        cost++;
        if (sub <= 7) break; // non-trapping float-to-int
        switch (sub) {
          case 8: r.u32(); memIndexZero(r); bulk(at); break; // memory.init
          case 9: r.u32(); break; // data.drop
          case 10: memIndexZero(r); memIndexZero(r); bulk(at); break; // memory.copy
          case 11: memIndexZero(r); bulk(at); break; // memory.fill
          case 12: r.u32(); r.u32(); bulk(at); break; // table.init
          case 13: r.u32(); break; // elem.drop
          case 14: r.u32(); r.u32(); bulk(at); break; // table.copy
          case 15: r.u32(); bulk(at); break; // table.grow: 1 per requested slot, checked before it runs
          case 16: r.u32(); break; // table.size
          case 17: r.u32(); bulk(at); break; // table.fill
          default: unsupported(r, `0xFC ${sub} operator`, at);
        }
        break;
      }
      default:
        if (op >= 0x28 && op <= 0x3e) { // loads and stores: memarg
          const aat = r.pos;
          const align = r.u32();
          if (align & 0x40) unsupported(r, 'multiple memories', aat);
          r.u32();
          cost++;
          break;
        }
        unsupported(r, opcodeFeature(op), at);
    }
    pos = r.pos;
  }

  emitBody(buf, out, { declCount, declStart, declEnd, bodyEnd, fL, tL }, { n, at: editAt, kind: editKind, val: editVal, end: editEnd, label: editLabel }, g);
}
