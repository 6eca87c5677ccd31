// `node --import tsx hw-tests/run.ts [filter]`: the opt-in hardware tests (never part of `npm test`).
// Each test passes, fails, or is skipped with the reason the hardware is not there; exits 1 only on failures.
import { readdir } from 'node:fs/promises';
import type { HwContext, HwOutcome, HwTest } from './hw-test.js';

const filter = process.argv.slice(2).find((a) => !a.startsWith('--'));
const ctx: HwContext = { env: process.env, say: (l) => console.log(l), interactive: process.stdin.isTTY === true };
const dir = new URL('./', import.meta.url);
const files = (await readdir(dir)).filter((f) => f.endsWith('.hw.ts')).sort();

const counts = { passed: 0, failed: 0, skipped: 0 };
for (const file of files) {
  const mod = (await import(new URL(file, dir).href)) as { default: HwTest[] | ((env: HwContext['env']) => HwTest[]) };
  const tests = typeof mod.default === 'function' ? mod.default(process.env) : mod.default;
  for (const t of tests) {
    if (filter !== undefined && !t.name.includes(filter)) continue;
    let outcome: HwOutcome;
    try {
      outcome = await t.run(ctx);
    } catch (err) {
      outcome = { status: 'failed', reason: (err as Error).message };
    }
    counts[outcome.status]++;
    const tail = outcome.status === 'passed' ? (outcome.note === undefined ? '' : ` (${outcome.note})`) : `: ${outcome.reason}`;
    console.log(`${t.name} ... ${outcome.status}${tail}`);
  }
}
console.log(`${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`);
process.exitCode = counts.failed > 0 ? 1 : 0;
