// Power loss, as near as a test can get without pulling a plug: the box's persistence code
// (state writes, capability grants, config saves through `midimon config install`, USB plugin
// installs) runs in its own process and is SIGKILLed hundreds of times at random moments.
// After each kill the files are read back with the box's own loaders, as a restarted box would:
// valid config and state, no half-installed plugin, and every acknowledged change present
// (the change in flight at the kill is either whole or absent).
// A SIGKILL loses no page cache, so this proves atomicity, not durability: the fsync ordering
// is in src/util/atomic-write.ts. Randomness is seeded (MIDIMON_POWERLOSS_SEED replays a run)
// and the seed is in every failure message. Bounded: a fixed number of kills, with a time cap
// as a safety net that reports how many ran instead of asserting a duration.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { access, constants, mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { build } from 'esbuild';
import { StateStore } from '../../src/state/state-store.js';
import { GrantStore } from '../../src/plugins/grants.js';
import { loadConfigFile } from '../../src/config/load.js';
import { listInstalled } from '../../src/usb/installer.js';
import { parseManifest } from '../../src/plugins/manifest.js';
import { silentLogger } from '../../src/log.js';
import { grantHash, KINDS, PLUGIN, type Kind } from './power-loss-writer.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const KILLS = Number(process.env['MIDIMON_POWERLOSS_KILLS'] ?? 200);
/** Safety net only: on a machine so loaded that the kills take this long, stop and say how many ran. */
const CAP_MS = 100_000;

/** mulberry32: small, seedable, good enough to spread kill moments. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** The writer as one plain ESM file: a child starts in ~0.1 s instead of tsx's 1-2 s, so hundreds of kills fit. */
async function bundleWriter(): Promise<string> {
  const outfile = join(repo, 'node_modules/.cache/midimon-power-loss/power-loss-writer.mjs');
  // Everything in one minified file (dependencies included): less to resolve, parse and compile per start.
  await build({
    entryPoints: [join(repo, 'test/appliance/power-loss-writer.ts')],
    bundle: true,
    minify: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
    outfile,
    logLevel: 'error',
  });
  return outfile;
}

interface Run {
  readonly acked: Map<Kind, number>;
  /** The change that had begun but not been acknowledged when the kill landed. */
  readonly inFlight?: { kind: Kind; n: number };
}

async function killedRun(writer: string, dir: string, start: number, rand: () => number): Promise<Run> {
  const child = spawn(process.execPath, [writer, dir, String(start)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let buffered = '';
  let stderr = '';
  const lines: string[] = [];
  let begins = 0;
  // Kill after the k-th change has begun, k in 1..8 (any of the four kinds), plus 0-3 ms.
  const killAt = 1 + Math.floor(rand() * 8);
  const extraMs = rand() * 3;
  let armed: (() => void) | undefined;
  const reached = new Promise<void>((r) => (armed = r));
  child.stdout.on('data', (d: Buffer) => {
    buffered += d.toString();
    const parts = buffered.split('\n');
    buffered = parts.pop() ?? '';
    for (const l of parts) {
      lines.push(l);
      if (l.startsWith('begin ') && ++begins === killAt) armed?.();
    }
  });
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const early = await Promise.race([reached.then(() => false), exited.then(() => true), sleep(20_000).then(() => false)]);
  if (early) assert.fail(`the writer exited on its own: ${stderr}`);
  if (extraMs >= 1) await sleep(extraMs);
  child.kill('SIGKILL');
  await exited;
  const acked = new Map<Kind, number>();
  let inFlight: Run['inFlight'];
  for (const l of lines) {
    const [what, kind, n] = l.split(' ') as [string, Kind, string];
    if (what === 'begin') inFlight = { kind, n: Number(n) };
    if (what === 'ack') {
      acked.set(kind, Number(n));
      inFlight = undefined;
    }
  }
  return { acked, ...(inFlight === undefined ? {} : { inFlight }) };
}

/** Reads everything back the way a restarted box does; returns the newest change number found of each kind. */
async function restartAndCheck(dir: string, run: Run, last: Map<Kind, number>, seen: { mode: number }): Promise<Map<Kind, number>> {
  const stateDir = join(dir, 'state');
  const found = new Map<Kind, number>();
  const mustHave = (kind: Kind, have: number) => {
    const acked = Math.max(run.acked.get(kind) ?? -1, last.get(kind) ?? -1);
    assert.ok(have >= acked, `${kind}: acknowledged change ${acked} is missing (the file has ${have})`);
    const newest = run.inFlight?.kind === kind ? run.inFlight.n : acked;
    assert.ok(have <= newest, `${kind}: the file has change ${have}, newer than anything begun (${newest})`);
    found.set(kind, have);
  };

  // State: the real store loads it without setting a corrupt file aside.
  const store = new StateStore({ dir: stateDir, log: silentLogger() });
  await store.start();
  const files = await readdir(stateDir);
  assert.ok(!files.some((f) => f.endsWith('.corrupt')), `state set aside as corrupt: ${files.join(', ')}`);
  if (files.includes('state.json')) {
    const st = JSON.parse(await readFile(join(stateDir, 'state.json'), 'utf8')) as { mode?: string; sections?: { counter?: { n: number } } };
    const n = st.sections?.counter?.n ?? -1;
    // A state change is two writes (mode, then section): a kill between them leaves the mode of a
    // later change that had begun, never one older than the section.
    const mode = Number(/^mode-(\d+)$/.exec(st.mode ?? '')?.[1] ?? -1);
    const begun = Math.max(run.inFlight?.kind === 'state' ? run.inFlight.n : -1, run.acked.get('state') ?? -1, last.get('state') ?? -1, seen.mode);
    assert.ok(mode >= n && mode <= begun, `state: mode ${st.mode} with counter ${n} (newest state change begun: ${begun})`);
    seen.mode = mode;
    mustHave('state', n);
  } else mustHave('state', -1);
  await store.stop();

  // Grants: valid JSON of version 1, and the grant of every acknowledged change there.
  const grantsText = await readFile(join(stateDir, 'grants.json'), 'utf8').catch(() => undefined);
  const grants = grantsText === undefined ? { version: 1, grants: {} } : (JSON.parse(grantsText) as { version: number; grants: Record<string, string[]> });
  assert.equal(grants.version, 1);
  const gs = new GrantStore(stateDir, silentLogger());
  await gs.load();
  const ns = Object.keys(grants.grants).map((k) => parseInt(k.split('@')[1] ?? '', 16));
  const acked = run.acked.get('grant') ?? last.get('grant') ?? -1;
  if (acked >= 0) assert.ok(gs.get('echo', grantHash(acked)).length === 1, `grant: acknowledged change ${acked} is missing`);
  mustHave('grant', Math.max(-1, ...ns));

  // Config: the box's loader accepts it, and it is one whole save.
  const configPath = join(dir, 'etc', 'config.toml');
  const cfgText = await readFile(configPath, 'utf8').catch(() => undefined);
  if (cfgText === undefined) mustHave('config', -1);
  else {
    const loaded = await loadConfigFile(configPath);
    const n = Number(/^# save (\d+)\n/.exec(cfgText)?.[1]);
    assert.equal(loaded.config.modes[0]?.name, `m-${n}`);
    mustHave('config', n);
  }

  // Plugins: what the box would list after recovering an interrupted swap; the wasm matches its manifest.
  const pluginsDir = join(stateDir, 'plugins');
  const installed = await listInstalled(pluginsDir);
  const left = await readdir(pluginsDir).catch(() => [] as string[]);
  assert.deepEqual(left.filter((e) => e.startsWith('.')), [], 'staging or set-aside copies left after recovery');
  if (installed.length === 0) mustHave('install', -1);
  else {
    assert.deepEqual(installed.map((p) => p.name), [PLUGIN]);
    const m = parseManifest(await readFile(join(pluginsDir, PLUGIN, 'plugin.toml'), 'utf8'), 'plugin.toml');
    const sha = createHash('sha256').update(await readFile(join(pluginsDir, PLUGIN, `${PLUGIN}.wasm`))).digest('hex');
    assert.equal(m.checksum, `sha256:${sha}`, 'installed wasm does not match its manifest');
    assert.deepEqual((await readdir(join(pluginsDir, PLUGIN))).sort(), [`${PLUGIN}.wasm`, 'plugin.toml']);
    mustHave('install', Number(m.version.split('.')[2]));
  }
  return found;
}

/** One sequence of kills in its own directory; returns how many ran. */
async function lane(writer: string, base: string, rand: () => number, kills: number, deadline: number, landed: Map<string, number>): Promise<{ ran: number; last: Map<Kind, number> }> {
  const dir = await mkdtemp(join(base, 'midimon-powerloss-'));
  await mkdir(join(dir, 'etc'), { recursive: true });
  let last = new Map<Kind, number>();
  let next = 0;
  let ran = 0;
  const seen = { mode: -1 };
  try {
    for (; ran < kills && performance.now() < deadline; ran++) {
      const run = await killedRun(writer, dir, next, rand);
      const where = run.inFlight?.kind ?? 'between changes';
      landed.set(where, (landed.get(where) ?? 0) + 1);
      try {
        last = await restartAndCheck(dir, run, last, seen);
      } catch (err) {
        throw new Error(`after kill ${ran + 1} of this lane: ${(err as Error).message}`, { cause: err });
      }
      next = Math.max(next, ...[...run.acked.values()].map((n) => n + 1), (run.inFlight?.n ?? -1) + 1);
    }
    // Interrupted writes leave only their hidden temp files (midimon-data.sh clears them at boot).
    const etc = (await readdir(join(dir, 'etc'))).filter((f) => f !== 'config.toml');
    assert.ok(etc.every((f) => f.endsWith('.tmp')), etc.join(', '));
    const state = (await readdir(join(dir, 'state'))).filter((f) => !['state.json', 'grants.json', 'plugins'].includes(f));
    assert.ok(state.every((f) => f.endsWith('.tmp')), state.join(', '));
    return { ran, last };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test(`SIGKILL at ${KILLS} random moments during state writes, grants, config saves and plugin installs leaves nothing torn`, async (t) => {
  const seed = Number(process.env['MIDIMON_POWERLOSS_SEED'] ?? Math.floor(Math.random() * 2 ** 31));
  t.diagnostic(`seed ${seed} (MIDIMON_POWERLOSS_SEED=${seed} replays the kill moments)`);
  const writer = await bundleWriter();
  // tmpfs where there is one: a SIGKILL tests atomicity, and fsync to a busy CI disk would make
  // each kill cost seconds, not the ~0.1 s of a child start.
  const base = await access('/dev/shm', constants.W_OK).then(() => '/dev/shm', () => tmpdir());
  const landed = new Map<string, number>();
  const started = performance.now();
  // Two independent lanes (own directory, own random stream): a kill's cost is mostly a process
  // start and the reading back, so two at a time use both cores.
  const LANES = 2;
  let results: { ran: number; last: Map<Kind, number> }[];
  try {
    results = await Promise.all(Array.from({ length: LANES }, (_, i) => lane(writer, base, prng(seed + i), Math.ceil(KILLS / LANES), started + CAP_MS, landed)));
  } catch (err) {
    throw new Error(`power-loss failed with seed ${seed} (rerun: MIDIMON_POWERLOSS_SEED=${seed}): ${(err as Error).message}`, { cause: err });
  }
  const kills = results.reduce((n, r) => n + r.ran, 0);
  const secs = ((performance.now() - started) / 1000).toFixed(1);
  t.diagnostic(`${kills} of ${KILLS} kills in ${secs} s; landed during: ${[...landed].map(([k, v]) => `${k} ${v}`).join(', ')}`);
  if (kills < KILLS) t.diagnostic(`time cap reached: ran ${kills} kills, not ${KILLS} (the machine is loaded); every one was checked`);
  assert.ok(kills > 0);
  // Every kind of change really happened (and was read back) in a lane that ran a fair number of kills.
  for (const r of results) if (r.ran >= 30) for (const k of KINDS) assert.ok((r.last.get(k) ?? -1) >= 0, `no ${k} change was ever completed`);
});
