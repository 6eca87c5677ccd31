// Node 20's test runner does not expand globs: find test/**/*.test.ts here and
// hand the list to `node --test` (tsx loads TypeScript). Extra args filter by path.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

function find(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return find(p);
    return name.endsWith('.test.ts') ? [p] : [];
  });
}

const filters = process.argv.slice(2);
const files = find('test').filter((f) => filters.length === 0 || filters.some((x) => f.includes(x))).sort();
if (files.length === 0) {
  console.error(`no test files match ${filters.join(' ')}`);
  process.exit(1);
}
// A failing test that leaves a worker thread running must not hang CI: force exit once tests
// are done, and bound each test (both flags exist from Node 20.14).
const [major, minor] = process.versions.node.split('.').map(Number);
const bounded = major > 20 || (major === 20 && minor >= 14) ? ['--test-force-exit', '--test-timeout=300000'] : [];
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', ...bounded, ...files], { stdio: 'inherit' });
process.exit(r.status ?? 1);
