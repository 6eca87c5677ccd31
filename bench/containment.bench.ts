// The containment boundary's cost, side by side in one run: isolated plugins in the supervised plugin
// process (the default) against the old boundary, a worker thread in this process. Round trip of a
// trivial action (interleaved, same run) and cold load: a fresh host's first load, which for the
// process lane includes booting the plugin process (under tsx here; from dist/ on a box).
import { Worker } from 'node:worker_threads';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { silentLogger } from '../src/log.js';
import { PluginHost } from '../src/plugins/host.js';
import { nowUs, summarize, type Bench, type BenchFigure } from './util.js';
import { TRIVIAL, wat } from './wat.js';

const COLD_RUNS = 3;

export default (async () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'midimon-bench-contain-'));
  const figures: BenchFigure[] = [];
  const bytes = await wat(TRIVIAL);
  // Cold load, alternating the two boundaries: constructor -> first load resolved -> stop.
  const cold: Record<'process' | 'thread', number[]> = { process: [], thread: [] };
  for (let i = 0; i < COLD_RUNS; i++) {
    for (const isolation of ['process', 'thread'] as const) {
      const fresh = new PluginHost({ log: silentLogger(), stateDir, profile: 'desktop', isolation });
      const t0 = nowUs();
      await fresh.load('trivial', { bytes });
      cold[isolation].push((nowUs() - t0) / 1000);
      await fresh.stop();
      await sleep(500);
    }
  }
  const host = new PluginHost({ log: silentLogger(), stateDir, profile: 'desktop', isolation: 'process' });
  try {
    // Round trip of a trivial action: host.execute() -> plugin process -> worker -> result, side by side
    // (interleaved, same run) with the old boundary (the worker thread in this process) and a bare ping-pong.
    const threadHost = new PluginHost({ log: silentLogger(), stateDir, profile: 'desktop', isolation: 'thread' });
    await host.load('trivial', { bytes: bytes });
    await threadHost.load('trivial', { bytes: bytes });
    for (let i = 0; i < 1000; i++) {
      await host.execute('trivial', 'x', { timestamp: 0 });
      await threadHost.execute('trivial', 'x', { timestamp: 0 });
    }
    // Side by side: a bare worker postMessage ping-pong, interleaved, is the floor any worker design pays.
    const echo = new Worker(`require('node:worker_threads').parentPort.on('message', (m) => require('node:worker_threads').parentPort.postMessage(m));`, { eval: true });
    const ping = (): Promise<unknown> => new Promise((resolve) => { echo.once('message', resolve); echo.postMessage(0); });
    for (let i = 0; i < 500; i++) await ping();
    const rt: number[] = [];
    const th: number[] = [];
    const pp: number[] = [];
    for (let i = 0; i < 5000; i++) {
      const t0 = nowUs();
      await host.execute('trivial', 'x', { timestamp: 0 });
      const t1 = nowUs();
      await threadHost.execute('trivial', 'x', { timestamp: 0 });
      const t2 = nowUs();
      await ping();
      pp.push(nowUs() - t2);
      th.push(t2 - t1);
      rt.push(t1 - t0);
    }
    await echo.terminate();
    await threadHost.stop();
    const s = summarize(rt);
    const t = summarize(th);
    const base = summarize(pp);
    figures.push({ name: 'execute_p50_us', value: s.p50, unit: 'us', target: '(isolated lane: across the plugin process boundary)' });
    figures.push({ name: 'execute_p99_us', value: s.p99, unit: 'us', target: '<= 250' });
    figures.push({ name: 'execute_thread_p50_us', value: t.p50, unit: 'us', target: '(the old boundary: worker thread in this process, same run)' });
    figures.push({ name: 'execute_thread_p99_us', value: t.p99, unit: 'us', target: '(the old boundary, same run)' });
    figures.push({ name: 'process_over_thread_p50', value: s.p50 / t.p50, unit: 'x', target: '(what the process boundary costs per call)' });
    figures.push({ name: 'worker_pingpong_p50_us', value: base.p50, unit: 'us', target: '(bare postMessage round trip, same run)' });
    figures.push({ name: 'worker_pingpong_p99_us', value: base.p99, unit: 'us', target: '(bare postMessage round trip, same run)' });
    figures.push({ name: 'execute_p99_over_pingpong', value: s.p99 / base.p99, unit: 'x', target: '(what the host adds to the floor)' });

    figures.push({ name: 'execute_p99_over_thread', value: s.p99 / t.p99, unit: 'x', target: '(the same at p99)' });
    const cp = summarize(cold.process);
    const ct = summarize(cold.thread);
    figures.push({ name: 'cold_load_process_ms', value: cp.p50, unit: 'ms', target: `(fresh host, first load incl. plugin process boot; median of ${COLD_RUNS}, max ${cp.max.toFixed(0)})` });
    figures.push({ name: 'cold_load_thread_ms', value: ct.p50, unit: 'ms', target: `(fresh host, first load on a worker thread; median of ${COLD_RUNS}, max ${ct.max.toFixed(0)})` });
  } finally {
    await host.stop();
    rmSync(stateDir, { recursive: true, force: true });
  }
  return figures;
}) satisfies Bench;
