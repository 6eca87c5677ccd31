// One cold load of the biggest example plugin (setlist: Rust, ~135 KB; reads its
// setlist file on the first action) in a fresh process, as a box pays it after
// boot. Run by cold-load.bench.ts once per sample; prints one JSON line. Limits
// are raised so that nothing is cut short: this measures, it does not judge.
//
// `host` mode: the whole PluginHost.load (compiler worker, plugin worker, init) and
// the first actions, wall clock and the process's CPU time.
// `phases` mode: the same steps on this one thread (compile, instantiate + init,
// first action, warm actions), each with its CPU time.
// `runaway` mode: how long an init that never returns runs on this thread until
// the `pi` profile's init fuel ends it: a plain loop, and a loop of host calls. CPU time does not grow
// when other processes compete for the cores, so it is the figure that can be
// compared across machines and runs on a shared VM; on an idle box, wall clock
// of a one-thread step is at most about its CPU time.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const mode = process.argv[2] === 'phases' || process.argv[2] === 'runaway' ? process.argv[2] : 'host';
const WASM = new URL('../plugins/setlist/setlist.wasm', import.meta.url).pathname;
const RAISED = { timeoutMs: 600_000, fuelPerInit: 1e12, fuelPerExecute: 1e12 };

const t0 = performance.now();
const { PluginHost } = await import('../src/plugins/host.js');
const { PluginRuntime, compilePlugin } = await import('../src/plugins/runtime/runtime.js');
const { resolveLimits } = await import('../src/plugins/limits.js');
const { buildRequest } = await import('../src/plugins/runtime/request.js');
const { silentLogger } = await import('../src/log.js');
const importMs = performance.now() - t0;

/** Wall and CPU (all threads of this process) milliseconds of one step. */
async function timed<T>(fn: () => T | Promise<T>): Promise<{ value: T; wallMs: number; cpuMs: number }> {
  const c0 = process.cpuUsage();
  const w0 = performance.now();
  const value = await fn();
  const wallMs = performance.now() - w0;
  const c = process.cpuUsage(c0);
  return { value, wallMs, cpuMs: (c.user + c.system) / 1000 };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

const stateDir = await mkdtemp(join(tmpdir(), 'midimon-cold-'));
const dataDir = join(stateDir, 'plugin-data', 'setlist');
await mkdir(dataDir, { recursive: true });
await writeFile(join(dataDir, 'setlist.json'), JSON.stringify({
  channel: 1,
  songs: Array.from({ length: 40 }, (_, i) => ({ name: `Song ${i + 1}`, program: i % 128, mode: i % 2 === 0 ? 'Verse' : 'Chorus', cc: [{ cc: 7, value: 100 }] })),
}));
const base = { arch: process.arch, node: process.version, mode, importMs };

try {
  if (mode === 'host') {
    const host = new PluginHost({ log: silentLogger(), stateDir, profile: 'pi', grants: { setlist: ['Filesystem'] } });
    try {
      const load = await timed(() => host.load('setlist', { path: WASM }, { limits: RAISED }));
      const first = await timed(() => host.execute('setlist', 'next'));
      if (first.value.status !== 'returned') throw new Error(`first action failed: ${first.value.status === 'error' ? first.value.error.message : ''}`);
      const warm: number[] = [];
      for (let i = 0; i < 20; i++) warm.push((await host.execute('setlist', i % 2 === 0 ? 'next' : 'prev')).micros / 1000);
      console.log(JSON.stringify({
        ...base,
        loadWallMs: load.wallMs,
        loadCpuMs: load.cpuMs,
        initWallMs: load.value.initMicros / 1000,
        firstExecWallMs: first.value.micros / 1000,
        firstExecCpuMs: first.cpuMs,
        warmExecWallMs: median(warm),
      }));
    } finally {
      await host.stop();
    }
  } else if (mode === 'runaway') {
    const { default: wabtInit } = await import('wabt');
    // Node 24 does not count wabt's pending wasm compile as keeping the process alive.
    const keepAlive = setInterval(() => {}, 1000);
    const wabt = await wabtInit();
    clearInterval(keepAlive);
    const wat = (text: string): Uint8Array => {
      const m = wabt.parseWat('runaway.wat', text);
      try {
        return new Uint8Array(m.toBinary({}).buffer);
      } finally {
        m.destroy();
      }
    };
    const abi = `(memory (export "memory") 2)
      (func (export "alloc") (param i32) (result i32) (i32.const 1024))
      (func (export "dealloc") (param i32 i32))
      (func (export "execute") (param i32 i32) (result i32) (i32.const 0))`;
    const loops = {
      plain: wat(`(module ${abi} (func (export "init") (result i64) (loop $l (br $l)) (i64.const 0)))`),
      // fd_write of one empty iovec, forever: the cheapest host call in fuel per call.
      hostCalls: wat(`(module (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32))) ${abi}
        (func (export "init") (result i64) (loop $l (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 64))) (br $l)) (i64.const 0)))`),
    };
    const limits = resolveLimits('pi', { timeoutMs: 600_000 });
    const out: Record<string, number | string> = { ...base, fuelPerInit: limits.fuelPerInit };
    for (const [name, bytes] of Object.entries(loops)) {
      const runtime = new PluginRuntime(name, limits, [], null, { hostCalls: () => {}, log: () => {} });
      const compiled = compilePlugin(bytes, limits);
      const run = await timed(() => {
        try {
          runtime.load({ kind: 'compiled', ...compiled }, () => {});
          return 'returned';
        } catch (err) {
          return (err as { error?: { kind?: string } }).error?.kind ?? String(err);
        }
      });
      out[`${name}Outcome`] = run.value;
      out[`${name}WallMs`] = run.wallMs;
      out[`${name}CpuMs`] = run.cpuMs;
    }
    console.log(JSON.stringify(out));
  } else {
    const limits = resolveLimits('pi', RAISED);
    const bytes = new Uint8Array(await readFile(WASM));
    const compile = await timed(() => compilePlugin(bytes, limits));
    const runtime = new PluginRuntime('setlist', limits, ['Filesystem'], dataDir, { hostCalls: () => {}, log: () => {} });
    const init = await timed(() => runtime.load({ kind: 'compiled', ...compile.value }, () => {}));
    const request = (action: string): string => buildRequest(action, { timestamp: 1_700_000_000_000 });
    const first = await timed(() => runtime.execute(request('next')));
    const warmCpu: number[] = [];
    const warmWall: number[] = [];
    for (let i = 0; i < 20; i++) {
      const r = await timed(() => runtime.execute(request(i % 2 === 0 ? 'next' : 'prev')));
      warmCpu.push(r.cpuMs);
      warmWall.push(r.wallMs);
    }
    console.log(JSON.stringify({
      ...base,
      compileWallMs: compile.wallMs,
      compileCpuMs: compile.cpuMs,
      initWallMs: init.wallMs,
      initCpuMs: init.cpuMs,
      firstExecWallMs: first.wallMs,
      firstExecCpuMs: first.cpuMs,
      firstExecFuel: first.value.fuel,
      warmExecWallMs: median(warmWall),
      warmExecCpuMs: median(warmCpu),
    }));
  }
} finally {
  await rm(stateDir, { recursive: true, force: true });
}
