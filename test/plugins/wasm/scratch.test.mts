import { AS_PROGRAMS, AS_PROGRAMS_SOURCE, compileAssemblyScript } from '../../fixtures/wasm/as-programs.js';
import { instrument } from '../../../src/plugins/wasm/instrument.js';
const bin = await compileAssemblyScript(AS_PROGRAMS_SOURCE);
console.log('size', bin.length);
const m = instrument(bin, { maxMemoryPages: 1024, growCostPerPage: 0 });
const plain = new WebAssembly.Instance(new WebAssembly.Module(bin), {}).exports as Record<string, (n: number) => number>;
const inst = new WebAssembly.Instance(new WebAssembly.Module(m.bytes), {});
const met = inst.exports as Record<string, (n: number) => number>;
const g = inst.exports[m.fuelGlobal] as WebAssembly.Global;
const ratios: number[] = [];
for (const p of AS_PROGRAMS) {
  for (let w = 0; w < 20; w++) { plain[p.name]!(p.small); g.value = 10n**15n; met[p.name]!(p.small); }
  const a: number[] = [], b: number[] = [];
  let r1 = 0, r2 = 0;
  for (let round = 0; round < 9; round++) {
    let t = performance.now(); r1 = plain[p.name]!(p.arg); a.push(performance.now() - t);
    g.value = 10n ** 15n;
    t = performance.now(); r2 = met[p.name]!(p.arg); b.push(performance.now() - t);
  }
  a.sort((x, y) => x - y); b.sort((x, y) => x - y);
  const ratio = b[4]! / a[4]!;
  ratios.push(ratio);
  console.log(p.name, r1 === r2, a[4]!.toFixed(1), b[4]!.toFixed(1), ratio.toFixed(3), 'fuel', 10n ** 15n - (g.value as bigint));
}
console.log('geomean', Math.exp(ratios.reduce((s, r) => s + Math.log(r), 0) / ratios.length).toFixed(3));
