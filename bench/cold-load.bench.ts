// Cold load of the biggest example plugin, each sample in a fresh process
// (cold V8, cold workers): the figure behind the `pi` profile's load timeout
// (src/plugins/limits.ts, docs/hardware.md "Calibrating the pi profile").
// COLD_LOAD_RUNS sets the sample count (default 5; under qemu-user fewer).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { summarize, type Bench, type BenchFigure } from './util.js';

interface Sample {
  readonly importMs: number;
  readonly loadMs: number;
  readonly loadCpuMs: number;
  readonly initMs: number;
  readonly firstExecMs: number;
  readonly warmExecMs: number;
}

const CHILD = new URL('./cold-load-child.ts', import.meta.url).pathname;

const bench: Bench = async () => {
  const runs = Math.max(1, Number(process.env['COLD_LOAD_RUNS'] ?? 5) || 5);
  const samples: Sample[] = [];
  for (let i = 0; i < runs; i++) {
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', CHILD], { timeout: 600_000 });
    samples.push(JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as Sample);
  }
  const fig = (name: keyof Sample, unit: string, target?: string): BenchFigure[] => {
    const s = summarize(samples.map((x) => x[name]));
    return [
      { name: `cold_${name}_p50`, value: s.p50, unit, ...(target === undefined ? {} : { target }) },
      { name: `cold_${name}_max`, value: s.max, unit },
    ];
  };
  return [
    ...fig('loadMs', 'ms', `(setlist.wasm, fresh process, ${runs} runs: compile + worker boot + init)`),
    ...fig('loadCpuMs', 'ms', '(CPU of all threads during the load)'),
    ...fig('initMs', 'ms', '(instantiate + start + init: what the load timeout bounds)'),
    ...fig('firstExecMs', 'ms', '(first action: what the execute timeout bounds)'),
    ...fig('warmExecMs', 'ms'),
    ...fig('importMs', 'ms', '(importing the plugin host through tsx)'),
  ];
};
export default bench;
