// The realtime lane's worst single call: every flood and stall shape of the hostile corpus, run
// on the calling thread (the MIDI thread in the box) in the realtime lane. Each case fails on every
// call, so the timed (second) call also re-instantiates and reruns init; the plugin is loaded afresh
// every two calls because a third failure would move it to a worker. Wall clock: on a shared machine
// the max includes OS preemption.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../src/log.js';
import { PluginHost } from '../src/plugins/host.js';
import { fixture } from '../test/plugins/helpers/wat.js';
import { nowUs, summarize, type Bench, type BenchFigure } from './util.js';
import { ABI, ABI_NO_INIT, LOOPER, wat } from './wat.js';

// Realtime-lane worst cases: each fails every call (so the next call also re-instantiates and reruns init).
const FLOOD_WRITE = `(module (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32))) ${ABI}
  (func (export "execute") (param i32 i32) (result i32) (local $i i32)
    (loop $l
      (i32.store (i32.add (i32.const 8192) (i32.mul (local.get $i) (i32.const 8))) (i32.const 0))
      (i32.store (i32.add (i32.const 8196) (i32.mul (local.get $i) (i32.const 8))) (i32.const 131072))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const 1024))))
    (loop $again (drop (call $w (i32.const 1) (i32.const 8192) (i32.const 1024) (i32.const 0))) (br $again))
    (i32.const 0)))`;
const FLOOD_NEWLINES = `(module (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32))) ${ABI}
  (func (export "execute") (param i32 i32) (result i32)
    (memory.fill (i32.const 65536) (i32.const 10) (i32.const 65536))
    (i32.store (i32.const 8192) (i32.const 65536)) (i32.store (i32.const 8196) (i32.const 65536))
    (loop $again (drop (call $w (i32.const 1) (i32.const 8192) (i32.const 1) (i32.const 0))) (br $again))
    (i32.const 0)))`;
const FLOOD_RANDOM = `(module (import "wasi_snapshot_preview1" "random_get" (func $r (param i32 i32) (result i32))) ${ABI}
  (func (export "execute") (param i32 i32) (result i32) (loop $l (drop (call $r (i32.const 0) (i32.const 131072))) (br $l)) (i32.const 0)))`;
const FLOOD_SYSEX = `(module (import "midimon" "midi_send" (func $s (param i32 i32) (result i32))) ${ABI}
  (func (export "execute") (param i32 i32) (result i32) (loop $l (drop (call $s (i32.const 0) (i32.const 4096))) (br $l)) (i32.const 0)))`;
const FLOOD_SET_MODE = `(module (import "midimon" "set_mode" (func $m (param i32 i32) (result i32))) ${ABI}
  (data (i32.const 3000) "next")
  (func (export "execute") (param i32 i32) (result i32) (loop $l (drop (call $m (i32.const 3000) (i32.const 4))) (br $l)) (i32.const 0)))`;
const FLOOD_CLOCK = `(module (import "wasi_snapshot_preview1" "clock_time_get" (func $c (param i32 i64 i32) (result i32))) ${ABI}
  (func (export "execute") (param i32 i32) (result i32) (loop $l (drop (call $c (i32.const 1) (i64.const 0) (i32.const 3000))) (br $l)) (i32.const 0)))`;
/** fd_write of 1024 empty iovecs, again and again: no bytes, only per-call and per-iovec work. */
const FLOOD_IOVECS = `(module (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32))) ${ABI}
  (func (export "execute") (param i32 i32) (result i32) (loop $l (drop (call $w (i32.const 1) (i32.const 8192) (i32.const 1024) (i32.const 0))) (br $l)) (i32.const 0)))`;
/** init spins ~0.9 M fuel (under the realtime init cap), execute loops: the re-instantiation plus a full execute. */
const HEAVY_INIT_LOOPER = `(module ${ABI_NO_INIT}
  (func (export "init") (result i64) (local $i i32)
    (local.set $i (i32.const 150000)) (loop $l (local.set $i (i32.sub (local.get $i) (i32.const 1))) (br_if $l (local.get $i)))
    (call $meta))
  (func (export "execute") (param i32 i32) (result i32) (loop $l (br $l)) (i32.const 0)))`;
/** memory.grow(0) in a loop: a V8 runtime call each (2-4 us), priced by the grow base cost. */
const FLOOD_GROW0 = `(module ${ABI}
  (func (export "execute") (param i32 i32) (result i32) (loop $l (drop (memory.grow (i32.const 0))) (br $l)) (i32.const 0)))`;
/** memory.grow one page at a time until refused, then trap (an allocator's failure). */
const GROW_ONE_PAGE = `(module ${ABI}
  (func (export "execute") (param i32 i32) (result i32)
    (loop $l (br_if $l (i32.ne (memory.grow (i32.const 1)) (i32.const -1)))) unreachable))`;
/** An empty loop, then 600k fuel of f64.sqrt in one straight line (checked before it runs). */
const SQRT_AFTER_LOOP = `(module ${ABI}
  (func (export "execute") (param i32 i32) (result i32) (loop) ${'(drop (f64.sqrt (f64.const 2)))'.repeat(300_000)} (i32.const 0)))`;
/** table.grow by 1000 externref slots, again and again (refused at the table cap, charged per slot). */
const FLOOD_TABLE_GROW = `(module ${ABI} (table $t 0 externref)
  (func (export "execute") (param i32 i32) (result i32) (loop $l (drop (table.grow $t (ref.null extern) (i32.const 1000))) (br $l)) (i32.const 0)))`;

export default (async () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'midimon-bench-rt-'));
  // Realtime plugins live in this process whatever the isolation; 'thread' spares booting a plugin process.
  const host = new PluginHost({ log: silentLogger(), stateDir, profile: 'desktop', isolation: 'thread' });
  const figures: BenchFigure[] = [];
  try {
    // The most one call of a realtime-lane plugin can hold the MIDI thread. Every case fails on every call, so
    // the timed (second) call also re-instantiates and reruns init; the plugin is loaded afresh every two calls
    // because a third failure would move it to a worker.
    const cases: ReadonlyArray<readonly [string, string]> = [
      ['loop', LOOPER], ['fd_write_flood', FLOOD_WRITE], ['newline_flood', FLOOD_NEWLINES],
      ['random_get_flood', FLOOD_RANDOM], ['midi_send_flood', FLOOD_SYSEX], ['heavy_init_loop', HEAVY_INIT_LOOPER],
      ['set_mode_flood', FLOOD_SET_MODE], ['clock_flood', FLOOD_CLOCK], ['empty_iovec_flood', FLOOD_IOVECS],
      ['grow0_flood', FLOOD_GROW0], ['grow_one_page', GROW_ONE_PAGE], ['sqrt_after_loop', SQRT_AFTER_LOOP],
      ['table_grow_flood', FLOOD_TABLE_GROW],
    ];
    // Then every hostile fixture of test/fixtures/hostile that the realtime lane accepts and that fails its
    // calls (the corpus grows with each issue; load-time refusals and well-behaved fixtures are not stall shapes).
    const corpus: Array<readonly [string, Uint8Array]> = [];
    for (const f of readdirSync(new URL('../test/fixtures/hostile/', import.meta.url)).filter((n) => n.endsWith('.wat')).sort()) {
      const label = `corpus:${f.replace(/\.wat$/, '')}`;
      try {
        const bytes = fixture(f.replace(/\.wat$/, ''), { name: 'runaway' });
        await host.load('runaway', { bytes }, { lane: 'realtime' });
        const r = await host.execute('runaway', 'x', { timestamp: 0 });
        if (r.status === 'error') corpus.push([label, bytes]);
      } catch {
        // Refused at load (or not realtime material): no call to time.
      }
    }
    console.log(`  hostile corpus shapes timed: ${corpus.map(([l]) => l.slice(7)).join(', ')}`);
    let worst = 0;
    let worstCase = '';
    let worstMax = 0;
    let worstMaxCase = '';
    const all: Array<readonly [string, Uint8Array, boolean]> = [
      ...(await Promise.all(cases.map(async ([label, text]) => [label, await wat(text), true] as const))),
      ...corpus.map(([label, bytes]) => [label, bytes, false] as const),
    ];
    for (const [label, bytes, fuelBound] of all) {
      const stalls: number[] = [];
      for (let round = 0; round < 12; round++) {
        await host.load('runaway', { bytes }, { lane: 'realtime' });
        await host.execute('runaway', 'x', { timestamp: 0 });
        const t0 = nowUs();
        const r = await host.execute('runaway', 'x', { timestamp: 0 });
        const ms = (nowUs() - t0) / 1000;
        if (r.status !== 'error') throw new Error(`realtime ${label} returned: not a stall shape`);
        if (fuelBound && r.error.kind !== 'out_of_fuel' && r.error.kind !== 'memory_limit') throw new Error(`realtime ${label} was not stopped by fuel or the memory cap (${r.error.kind})`);
        if (host.get('runaway')?.lane !== 'realtime') throw new Error('the bench plugin left the realtime lane');
        if (round >= 2) stalls.push(ms);
      }
      const st = summarize(stalls);
      console.log(`  realtime ${label.padEnd(26)} one failing call holds the thread p50 ${st.p50.toFixed(3)} ms, max ${st.max.toFixed(3)} ms`);
      if (label === 'loop') figures.push({ name: 'realtime_runaway_call_p50_ms', value: st.p50, unit: 'ms', target: '(an endless loop: capped fuel + re-instantiation)' });
      if (st.p50 > worst) {
        worst = st.p50;
        worstCase = label;
      }
      if (st.max > worstMax) {
        worstMax = st.max;
        worstMaxCase = label;
      }
    }
    figures.push({ name: 'realtime_worst_call_p50_ms', value: worst, unit: 'ms', target: `(worst p50 of the cases above: ${worstCase})` });
    figures.push({ name: 'realtime_worst_call_max_ms', value: worstMax, unit: 'ms', target: `(longest single call of all cases: ${worstMaxCase}; incl. OS preemption)` });
  } finally {
    await host.stop();
    rmSync(stateDir, { recursive: true, force: true });
  }
  return figures;
}) satisfies Bench;
