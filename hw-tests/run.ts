// `npm run hw-test [-- [--sandbox] [filter]]`: the opt-in hardware tests (never part of `npm test`).
// Each test passes, fails, or is skipped with a stated reason; on a Pi a configured device that
// does not answer fails. Exits 1 on failures.
//
// --sandbox re-runs the checks as the service user under midimon.service's own sandbox
// (systemd-run with the unit's User/Group/SupplementaryGroups/Protect*/...Paths settings),
// so a hardening line that locks out GPIO, I2C or ALSA fails here as it would in the service.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { loadConfigFile } from '../src/config/load.js';
import { DEFAULT_CONFIG_PATH } from '../src/config/paths.js';
import type { BoxConfig } from '../src/config/schema.js';
import { parseUnitService, systemdRunProperties } from '../src/system/unit-sandbox.js';
import { readPiModel, type HwContext, type HwOutcome, type HwTest } from './hw-test.js';

const args = process.argv.slice(2);
const filter = args.find((a) => !a.startsWith('--'));

if (args.includes('--sandbox')) process.exit(runSandboxed());

const configPath = process.env['MIDIMON_CONFIG'] ?? DEFAULT_CONFIG_PATH;
let config: BoxConfig | null = null;
if (existsSync(configPath)) {
  try {
    config = (await loadConfigFile(configPath)).config;
  } catch (err) {
    console.log(`config ${configPath} does not load (${(err as Error).message}); testing with the environment's settings only`);
  }
}
const ctx: HwContext = { env: process.env, say: (l) => console.log(l), interactive: process.stdin.isTTY === true, config, piModel: readPiModel(process.env) };
console.log(`${ctx.piModel ?? 'not a Raspberry Pi'}; config ${config === null ? '(none)' : configPath}; user ${process.getuid?.() ?? '?'}`);
const dir = new URL('./', import.meta.url);
const files = (await readdir(dir)).filter((f) => f.endsWith('.hw.ts')).sort();

const counts = { passed: 0, failed: 0, skipped: 0 };
for (const file of files) {
  const mod = (await import(new URL(file, dir).href)) as { default: HwTest[] | ((c: Pick<HwContext, 'env' | 'config'>) => HwTest[]) };
  const tests = typeof mod.default === 'function' ? mod.default(ctx) : mod.default;
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

/** systemd-run this runner again as the service would run: same user, groups and sandbox. */
function runSandboxed(): number {
  const installed = '/etc/systemd/system/midimon.service';
  const unitFile = existsSync(installed) ? installed : fileURLToPath(new URL('../provisioning/systemd/midimon.service', import.meta.url));
  const repo = fileURLToPath(new URL('../', import.meta.url));
  const props = systemdRunProperties(parseUnitService(readFileSync(unitFile, 'utf8')));
  const passEnv = Object.entries(process.env)
    .filter(([k]) => k.startsWith('MIDIMON_'))
    .flatMap(([k, v]) => ['-p', `Environment=${k}=${v ?? ''}`]);
  const cmd = ['--wait', '--collect', '--quiet', '--pipe', `--working-directory=${repo}`, ...props, ...passEnv, process.execPath, '--import', 'tsx', fileURLToPath(import.meta.url), ...(filter === undefined ? [] : [filter])];
  console.log(`running as the service under ${unitFile}'s sandbox: systemd-run ${cmd.join(' ')}`);
  const r = spawnSync('systemd-run', cmd, { stdio: 'inherit' });
  if (r.error !== undefined) {
    console.log(`systemd-run failed: ${r.error.message} (needs a booted systemd and root: sudo npm run hw-test -- --sandbox)`);
    return 1;
  }
  return r.status ?? 1;
}
