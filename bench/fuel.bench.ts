// Fuel metering overhead and instrumenter throughput.
// fuel_overhead_geomean: the same AssemblyScript programs (tight loop, recursive fib,
// matmul, FNV hash, JSON-ish tokenizer) run unmetered and metered side by side,
// interleaved over several rounds after warm-up (so both are TurboFan code); per
// program the median metered time over the median unmetered time, then the geomean.
// Times are process CPU time (robust to other load on a shared machine); wall-clock
// ratios are printed too.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { instrument } from '../src/plugins/wasm/instrument.js';
import { AS_PROGRAMS, AS_PROGRAMS_SOURCE, compileAssemblyScript } from '../test/fixtures/wasm/as-programs.js';
import { type Bench, type BenchFigure, geomean, nowUs, summarize } from './util.js';

const ROUNDS = 15;
const BUDGET = 10n ** 15n;
type Run = (n: number) => unknown;

function cpuUs(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

function time(fn: Run, arg: number): { cpu: number; wall: number; result: unknown } {
  const c0 = cpuUs();
  const w0 = nowUs();
  const result = fn(arg);
  return { wall: nowUs() - w0, cpu: cpuUs() - c0, result };
}

async function overhead(): Promise<number> {
  const bytes = await compileAssemblyScript(AS_PROGRAMS_SOURCE);
  const m = instrument(bytes, { maxMemoryPages: 4096, growCostPerPage: 0 });
  const plain = new WebAssembly.Instance(new WebAssembly.Module(bytes), {}).exports;
  const metered = new WebAssembly.Instance(new WebAssembly.Module(m.bytes), {}).exports;
  const fuel = metered[m.fuelGlobal] as WebAssembly.Global;
  const ratios: number[] = [];
  for (const p of AS_PROGRAMS) {
    const a = plain[p.name] as Run;
    const b = metered[p.name] as Run;
    const runB = (n: number): unknown => { fuel.value = BUDGET; return b(n); };
    // Warm up until both are tiered up (V8 compiles TurboFan code in the background).
    for (let i = 0; i < 3; i++) { a(p.arg); runB(p.arg); await sleep(20); }
    const ta: number[] = []; const tb: number[] = []; const wa: number[] = []; const wb: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const first = r % 2 === 0;
      const x = first ? time(a, p.arg) : time(runB, p.arg);
      const y = first ? time(runB, p.arg) : time(a, p.arg);
      const [pa, pb] = first ? [x, y] : [y, x];
      if (pa.result !== pb.result) throw new Error(`${p.name}: metered result ${String(pb.result)} != ${String(pa.result)}`);
      ta.push(pa.cpu); tb.push(pb.cpu); wa.push(pa.wall); wb.push(pb.wall);
    }
    const ratio = summarize(tb).p50 / summarize(ta).p50;
    const wallRatio = summarize(wb).p50 / summarize(wa).p50;
    ratios.push(ratio);
    const fuelUsed = BUDGET - (fuel.value as bigint);
    console.log(`  ${p.name.padEnd(9)} unmetered ${(summarize(ta).p50 / 1000).toFixed(1).padStart(6)} ms  metered ${(summarize(tb).p50 / 1000).toFixed(1).padStart(6)} ms  ratio ${ratio.toFixed(3)} (wall ${wallRatio.toFixed(3)})  fuel ${fuelUsed}`);
  }
  return geomean(ratios);
}

/** Largest realistic modules around: the Rust plugins if built, else a synthetic AssemblyScript build. */
async function largestModule(): Promise<{ name: string; bytes: Uint8Array }> {
  const found: { name: string; size: number }[] = [];
  if (existsSync('plugins')) {
    for (const dir of readdirSync('plugins', { withFileTypes: true })) {
      if (!dir.isDirectory()) continue;
      for (const f of readdirSync(`plugins/${dir.name}`)) {
        const path = `plugins/${dir.name}/${f}`;
        if (f.endsWith('.wasm')) found.push({ name: path, size: statSync(path).size });
      }
    }
  }
  found.sort((x, y) => y.size - x.size);
  const best = found[0];
  if (best !== undefined && best.size >= 64 * 1024) return { name: best.name, bytes: new Uint8Array(readFileSync(best.name)) };
  // Synthetic: the benchmark programs replicated under distinct names (~100 KB).
  let src = '';
  for (let i = 0; i < 70; i++) src += AS_PROGRAMS_SOURCE.replace(/export function (\w+)/g, `export function $1_${i}`).replace(/\b(ensurePages|fib)\(/g, `$1_${i}(`).replace(/const (BASE|SAMPLE)\b/g, `const $1_${i}`).replace(/\b(BASE|SAMPLE)\b(?!_)/g, `$1_${i}`);
  return { name: 'synthetic AssemblyScript build', bytes: await compileAssemblyScript(src, 1) };
}

async function throughput(): Promise<number> {
  const { name, bytes } = await largestModule();
  const opts = { maxMemoryPages: 2048, growCostPerPage: 0 };
  for (let i = 0; i < 5; i++) instrument(bytes, opts);
  const samples: number[] = [];
  for (let i = 0; i < 30; i++) {
    const t0 = nowUs();
    instrument(bytes, opts);
    samples.push(nowUs() - t0);
  }
  const v0 = nowUs();
  for (let i = 0; i < 10; i++) WebAssembly.validate(bytes);
  const validateUs = (nowUs() - v0) / 10;
  const p50 = summarize(samples).p50;
  console.log(`  ${name}: ${(bytes.length / 1024).toFixed(0)} KiB, instrument p50 ${(p50 / 1000).toFixed(2)} ms (of which ~${(validateUs / 1000).toFixed(2)} ms is WebAssembly.validate of the output)`);
  return bytes.length / 1e6 / (p50 / 1e6);
}

export default (async (): Promise<readonly BenchFigure[]> => {
  const g = await overhead();
  const mbps = await throughput();
  return [
    { name: 'fuel_overhead_geomean', value: g, unit: 'x', target: '<= 1.15' },
    { name: 'instrument_mb_per_s', value: mbps, unit: 'MB/s' },
  ];
}) satisfies Bench;
