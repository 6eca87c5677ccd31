// Host calls crossing to the main thread (issue 10 item 4): a plugin sending 1,024 SysEx of
// 4 KiB in one execute. Before, each midi_send crossed as its own message carrying a number[]
// (reproduced here by a worker posting that shape to a main thread that checks it as the old
// guard did); now one execute's calls cross as one batch with the bytes in a transferred typed
// array, bounded per execute (src/plugins/limits.ts), through the real PluginHost.
import { closeSync, mkdtempSync, openSync, readSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import wabtInit from 'wabt';
import { silentLogger } from '../src/log.js';
import { PluginHost } from '../src/plugins/host.js';
import { summarize, type Bench, type BenchFigure } from './util.js';

const META = '{"name":"bench","version":"1.0.0","description":"bench","author":"bench","license":"MIT","type":"action","capabilities":[]}';
const sysexFlood = (count: number, len: number): string => `(module
  (import "midimon" "midi_send" (func $s (param i32 i32) (result i32)))
  (memory (export "memory") 2)
  (data (i32.const 16) "${META.replaceAll('"', '\\"')}")
  (func (export "init") (result i64) (i64.or (i64.shl (i64.const 16) (i64.const 32)) (i64.const ${META.length})))
  (func (export "alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "dealloc") (param i32 i32))
  (func (export "execute") (param i32 i32) (result i32) (local $i i32)
    (i32.store8 (i32.const 8192) (i32.const 0xF0)) (i32.store8 (i32.const ${8192 + len - 1}) (i32.const 0xF7))
    (loop $l (drop (call $s (i32.const 8192) (i32.const ${len})))
      (local.set $i (i32.add (local.get $i) (i32.const 1))) (br_if $l (i32.lt_u (local.get $i) (i32.const ${count}))))
    (i32.const 0)))`;

// Main thread's on-CPU time (Linux schedstat, ns); NaN elsewhere.
const stat = ((): number | undefined => {
  try {
    return openSync(`/proc/self/task/${process.pid}/schedstat`, 'r');
  } catch {
    return undefined;
  }
})();
const buf = Buffer.alloc(64);
function cpuNs(): number {
  if (stat === undefined) return Number.NaN;
  const n = readSync(stat, buf, 0, 64, 0);
  return Number(buf.subarray(0, n).toString().split(' ')[0]);
}

/**
 * Longest event-loop delay (ms, 1 ms probe, over `run` padded by 10 ms each side so that the probe
 * always fires: on this shared VM that includes the scheduler's own gaps) and the main thread's
 * CPU time (ms) over `run` alone.
 */
async function measure(run: () => Promise<void>): Promise<{ blockMs: number; cpuMs: number }> {
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  await sleep(10);
  const c0 = cpuNs();
  await run();
  const cpuMs = (cpuNs() - c0) / 1e6;
  await sleep(10);
  h.disable();
  return { blockMs: h.max / 1e6, cpuMs };
}

/** The old wire: one message per midi_send with a number[], checked element by element on arrival. */
async function oldWireRound(worker: Worker, count: number, len: number): Promise<void> {
  await new Promise<void>((resolve) => {
    let got = 0;
    const onMessage = (m: { t: string; call: { fn: string; bytes: unknown } }): void => {
      const b = m.call.bytes;
      if (!(Array.isArray(b) && b.every((x) => Number.isInteger(x) && x >= 0 && x <= 255))) throw new Error('bad message');
      if (++got === count) {
        worker.off('message', onMessage);
        resolve();
      }
    };
    worker.on('message', onMessage);
    worker.postMessage({ count, len });
  });
}

const OLD_WIRE_WORKER = `const { parentPort } = require('node:worker_threads');
parentPort.on('message', ({ count, len }) => {
  const src = new Uint8Array(len); src[0] = 0xf0; src[len - 1] = 0xf7;
  for (let i = 0; i < count; i++) {
    const bytes = new Array(len);
    for (let j = 0; j < len; j++) bytes[j] = src[j];
    parentPort.postMessage({ t: 'host_call', call: { fn: 'midi_send', bytes } });
  }
});`;

const bench: Bench = async () => {
  const wabt = await wabtInit();
  const wasm = (text: string): Uint8Array => {
    const m = wabt.parseWat('bench.wat', text);
    try {
      return new Uint8Array(m.toBinary({}).buffer);
    } finally {
      m.destroy();
    }
  };
  const figures: BenchFigure[] = [];

  // Before: 3 rounds (each blocks for about a second).
  const worker = new Worker(OLD_WIRE_WORKER, { eval: true });
  await oldWireRound(worker, 8, 4096);
  const before = [];
  for (let i = 0; i < 3; i++) before.push(await measure(() => oldWireRound(worker, 1024, 4096)));
  await worker.terminate();

  // After: the real host; the flood ends in send_limit at 128 KiB; a 64 KiB dump and 1,024 notes fit.
  const dir = mkdtempSync(join(tmpdir(), 'midimon-bench-calls-'));
  let delivered = 0;
  const host = new PluginHost({ log: silentLogger(), stateDir: dir, profile: 'desktop', isolation: 'thread', onHostCall: () => void delivered++ });
  try {
    await host.load('flood', { bytes: wasm(sysexFlood(1024, 4096)) });
    await host.load('dump', { bytes: wasm(sysexFlood(16, 4096)) });
    await host.load('notes', { bytes: wasm(sysexFlood(1024, 3)) });
    const idle = [];
    for (let i = 0; i < 20; i++) idle.push(await measure(() => sleep(50)));
    const rounds = async (name: string, n: number): Promise<Array<{ blockMs: number; cpuMs: number }>> => {
      await host.execute(name, 'warm');
      const out = [];
      for (let i = 0; i < n; i++) out.push(await measure(async () => void (await host.execute(name, 'go'))));
      return out;
    };
    const flood = await rounds('flood', 20);
    const dump = await rounds('dump', 20);
    const notes = await rounds('notes', 20);
    const p50 = (xs: ReadonlyArray<{ blockMs: number; cpuMs: number }>, k: 'blockMs' | 'cpuMs'): number => summarize(xs.map((x) => x[k])).p50;
    const max = (xs: ReadonlyArray<{ blockMs: number; cpuMs: number }>, k: 'blockMs' | 'cpuMs'): number => summarize(xs.map((x) => x[k])).max;
    figures.push(
      { name: 'sysex_flood_loop_block_before_ms', value: p50(before, 'blockMs'), unit: 'ms', target: 'old wire: 1,024 x number[4096] messages' },
      { name: 'sysex_flood_loop_block_after_ms', value: p50(flood, 'blockMs'), unit: 'ms', target: 'one batch, send_limit at 128 KiB' },
      { name: 'sysex_flood_loop_block_after_max_ms', value: max(flood, 'blockMs'), unit: 'ms' },
      { name: 'idle_loop_block_ms', value: p50(idle, 'blockMs'), unit: 'ms', target: 'the same probe with no plugin call (scheduler noise)' },
      { name: 'sysex_flood_main_cpu_before_ms', value: p50(before, 'cpuMs'), unit: 'ms' },
      { name: 'sysex_flood_main_cpu_after_ms', value: p50(flood, 'cpuMs'), unit: 'ms' },
      { name: 'sysex_dump_64k_main_cpu_ms', value: p50(dump, 'cpuMs'), unit: 'ms', target: '16 x 4 KiB, delivered' },
      { name: 'notes_1024_main_cpu_ms', value: p50(notes, 'cpuMs'), unit: 'ms', target: '1,024 x 3 bytes (the call bound)' },
    );
  } finally {
    await host.stop();
    rmSync(dir, { recursive: true, force: true });
    if (stat !== undefined) closeSync(stat);
  }
  return figures;
};

export default bench;
