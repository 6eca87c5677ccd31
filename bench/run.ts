// `npm run bench [-- --json] [filter]`: runs every bench/*.bench.ts and prints
// one table; with --json also one final JSON line of name -> value.
import { readdir } from 'node:fs/promises';
import { cpus, arch, platform } from 'node:os';
import type { Bench, BenchFigure } from './util.js';

const args = process.argv.slice(2);
const json = args.includes('--json');
const filter = args.find((a) => !a.startsWith('--'));
const dir = new URL('./', import.meta.url);
const files = (await readdir(dir)).filter((f) => f.endsWith('.bench.ts') && (filter === undefined || f.includes(filter))).sort();

console.log(`machine: ${cpus()[0]?.model ?? 'unknown cpu'} x${cpus().length}, ${platform()}/${arch()}, node ${process.version}`);
const all: BenchFigure[] = [];
for (const file of files) {
  const mod = (await import(new URL(file, dir).href)) as { default: Bench };
  console.log(`\n## ${file}`);
  const figures = await mod.default();
  for (const f of figures) {
    console.log(`${f.name.padEnd(36)} ${formatValue(f.value).padStart(12)} ${f.unit.padEnd(6)} ${f.target === undefined ? '' : `target ${f.target}`}`);
    all.push(f);
  }
}
if (json) console.log(JSON.stringify(Object.fromEntries(all.map((f) => [f.name, Number(f.value.toFixed(4))]))));

function formatValue(v: number): string {
  return Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(3);
}
