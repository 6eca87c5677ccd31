// Plugin host: load time of a ~100 KB Rust plugin, and how long the main thread (the MIDI path) is
// blocked while a hostile plugin is timed out, terminated and its worker replaced. The boundary's round
// trip is containment.bench.ts, the realtime lane's worst call realtime-worst.bench.ts.
import { closeSync, existsSync, mkdtempSync, openSync, readSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PerformanceObserver } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { silentLogger } from '../src/log.js';
import { PluginHost } from '../src/plugins/host.js';
import { nowUs, summarize, type Bench, type BenchFigure } from './util.js';
import { ABI, LOOPER, wat } from './wat.js';

const TEMPLATE = new URL('../plugins/wasm-template/wasm-template.wasm', import.meta.url);

/** A ~100 KB module of arithmetic functions, when the Rust template is not built. */
function generated100k(): string {
  const fns: string[] = [];
  for (let i = 0; i < 700; i++) {
    fns.push(`(func $f${i} (param $x i32) (result i32) ${'(local.set $x (i32.add (i32.mul (local.get $x) (i32.const 31)) (i32.const 7)))'.repeat(12)} (local.get $x))`);
  }
  return `(module ${ABI} ${fns.join('\n')} (func (export "execute") (param i32 i32) (result i32) (call $f0 (i32.const 1))))`;
}

// Main thread's on-CPU time in ns (Linux schedstat), read without allocating so that the probe
// itself does not cause garbage-collection pauses; NaN elsewhere.
const schedstat = ((): number | undefined => {
  try {
    return openSync(`/proc/self/task/${process.pid}/schedstat`, 'r');
  } catch {
    return undefined;
  }
})();
const statBuf = Buffer.alloc(64);
function mainThreadCpuNs(): number {
  if (schedstat === undefined) return Number.NaN;
  const n = readSync(schedstat, statBuf, 0, 64, 0);
  let v = 0;
  for (let i = 0; i < n; i++) {
    const d = statBuf[i] as number;
    if (d < 48 || d > 57) break;
    v = v * 10 + (d - 48);
  }
  return v;
}

interface Stall {
  /** Longest wall-clock gap between two 1 ms timer turns (includes time the OS gave the CPU to others). */
  readonly gapMs: number;
  /** Longest main-thread on-CPU time within one turn that contained no GC pause: the block our own code causes. */
  readonly cpuMs: number;
  /** Longest main-thread GC pause in the same period (V8's, not the plugin host's). */
  readonly gcMs: number;
}

/**
 * Event-loop turns while `work` runs: a 1 ms timer chain, so the thread sleeps between turns
 * and the kernel's per-thread CPU accounting is exact at every turn (a busy setImmediate chain
 * never context-switches and only sees 4 ms scheduler ticks). Turns that contained a GC pause
 * are set aside: those pauses are reported on their own.
 */
async function maxStall(work: () => Promise<void>): Promise<Stall> {
  const gcs: Array<{ start: number; end: number }> = [];
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gcs.push({ start: e.startTime, end: e.startTime + e.duration });
  });
  obs.observe({ entryTypes: ['gc'] });
  const turns: Array<{ start: number; end: number; cpu: number }> = [];
  let running = true;
  let gap = 0;
  let last = performance.now();
  let lastCpu = mainThreadCpuNs();
  const spin = (): void => {
    const t = performance.now();
    const c = mainThreadCpuNs();
    gap = Math.max(gap, t - last);
    turns.push({ start: last, end: t, cpu: (c - lastCpu) / 1e6 });
    last = t;
    lastCpu = c;
    if (running) setTimeout(spin, 1);
  };
  setTimeout(spin, 1);
  await work();
  running = false;
  await sleep(50);
  obs.disconnect();
  const clean = turns.filter((t) => !gcs.some((g) => g.start < t.end && g.end > t.start));
  return {
    gapMs: gap,
    cpuMs: Math.max(0, ...clean.map((t) => t.cpu)),
    gcMs: Math.max(0, ...gcs.map((g) => g.end - g.start)),
  };
}

export default (async () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'midimon-bench-'));
  const host = new PluginHost({ log: silentLogger(), stateDir, profile: 'desktop', isolation: 'process' });
  const figures: BenchFigure[] = [];
  try {
    // 2. Load of a ~100 KB plugin: read + SHA-256 + checks + instrument + compile + instantiate + init,
    // on a booted spare worker (as in a running box).
    const template = existsSync(TEMPLATE);
    const source = template ? { path: TEMPLATE.pathname } : { bytes: await wat(generated100k()) };
    const loads: number[] = [];
    for (let i = 0; i < 8; i++) {
      await sleep(1500);
      const t0 = nowUs();
      await host.load('big', source);
      loads.push((nowUs() - t0) / 1000);
    }
    const size = host.get('big')?.size ?? 0;
    const what = `${template ? 'wasm-template.wasm' : 'generated module'}, ${Math.round(size / 1024)} KB`;
    // The first load pays for the compiler worker's cold JIT; later ones are what a config reload costs.
    figures.push({ name: 'load_ms_100k_first', value: loads[0] ?? Number.NaN, unit: 'ms', target: `(${what}, cold compiler)` });
    figures.push({ name: 'load_ms_100k', value: summarize(loads.slice(1)).p50, unit: 'ms', target: `<= 50 (${what})` });

    // 3. Main-thread block while a looping plugin hits its timeout, is terminated, and its worker
    // replaced and reloaded. On a loaded shared machine the OS scheduler alone stalls the loop by
    // tens of ms (the idle wall-clock figure), so the target figure is the main thread's own
    // on-CPU time per event-loop turn (Linux schedstat), which the scheduler does not inflate.
    const idle = await maxStall(() => sleep(5 * 1600));
    await host.load('looper', { bytes: await wat(LOOPER) }, { limits: { fuelPerExecute: 1e15, timeoutMs: 100 } });
    await sleep(1500);
    const stall = await maxStall(async () => {
      for (let i = 0; i < 5; i++) {
        const r = await host.execute('looper', 'x');
        if (r.status !== 'error' || r.error.kind !== 'timeout') throw new Error(`expected a timeout, got ${JSON.stringify(r)}`);
        // Meanwhile the replacement worker boots and the plugin is reloaded into it (measured too).
        await sleep(1500);
        if (host.status().find((p) => p.name === 'looper')?.state !== 'ready') throw new Error('looper was not reloaded');
      }
    });
    figures.push({ name: 'event_loop_block_max_ms', value: stall.cpuMs, unit: 'ms', target: '<= 2 (main-thread CPU in one loop turn, GC turns aside)' });
    figures.push({ name: 'event_loop_gap_max_ms', value: stall.gapMs, unit: 'ms', target: '(wall clock, incl. OS scheduling)' });
    figures.push({ name: 'event_loop_gap_idle_ms', value: idle.gapMs, unit: 'ms', target: '(same, nothing running)' });
    figures.push({ name: 'event_loop_block_idle_ms', value: idle.cpuMs, unit: 'ms', target: '(main-thread CPU, nothing running)' });
    figures.push({ name: 'gc_pause_max_ms', value: stall.gcMs, unit: 'ms', target: '(V8 main-thread GC during the hostile phase, excluded above)' });

  } finally {
    await host.stop();
    rmSync(stateDir, { recursive: true, force: true });
    if (schedstat !== undefined) closeSync(schedstat);
  }
  return figures;
}) satisfies Bench;
