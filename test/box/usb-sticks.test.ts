// Hostile and clumsy sticks against the whole box (fakes, manual clock for the
// box's timers, real files and the real control socket): a stick with 10,000
// folders and a second stick plugged in while it is scanned, a link to a host
// file, a FIFO; the control socket answers mid-scan, each stick is one
// problem, a 64-character plugin name installs, and an install is not an error.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { MidimonBox } from '../../src/box/box.js';
import { seedSimulation } from '../../src/box/simulation.js';
import { ControlClient } from '../../src/control/client.js';
import type { StatusResult } from '../../src/control/protocol.js';
import { ManualScheduler } from '../../src/gpio/manual-scheduler.js';
import { silentLogger } from '../../src/log.js';
import { renderManifest } from '../../src/plugins/manifest.js';
import { fixture } from '../plugins/helpers/wat.js';


/** tmpfs where there is one: 10,000 folders take under a second there, 10-15 s on a busy disk. */
function fastTmp(): string {
  return existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
}

const repo = fileURLToPath(new URL('../../', import.meta.url));
const SECRET = 'root:x:0:0:SECRET-LINE-FROM-THE-HOST:/root:/bin/bash\n';
const LONG_NAME = `p${'x'.repeat(62)}9`;

let dir: string;
let box: MidimonBox;
let clock: ManualScheduler;
let client: ControlClient;
let stickA: string;
let stickB: string;
const mounted = new Set<string>();
/** Status answers the control socket gave while stick A was still being scanned. */
const answeredMidScan: StatusResult[] = [];
let bMountedMidScan = false;

function mountInfo(): string {
  const lines = ['36 35 8:1 / / rw - ext4 /dev/root rw'];
  [...mounted].forEach((m, i) => lines.push(`${50 + i} 35 8:${17 + i} / ${m} ro,nosuid,nodev,noexec - vfat /dev/sd${'ab'[i]}1 ro`));
  return `${lines.join('\n')}\n`;
}

async function waitFor<T>(what: string, probe: () => T | undefined | false | null): Promise<T> {
  // Bounded polling for work done by real threads and files; never a timing assertion.
  for (let i = 0; i < 6000; i++) {
    const v = probe();
    if (v !== undefined && v !== false && v !== null) return v;
    await sleep(10);
  }
  assert.fail(`timed out waiting for ${what}`);
}

before(async () => {
  dir = await mkdtemp(join(fastTmp(), 'midimon-usb-box-'));
  const configPath = join(dir, 'config.toml');
  const example = await readFile(join(repo, 'docs/example-config.toml'), 'utf8');
  await writeFile(configPath, `${example.replaceAll('"../plugins/', `"${repo}plugins/`)}\n[usb]\nmount_roots = ["${dir}/media"]\nsignature = "if-present"\n`);
  await writeFile(join(dir, 'host-passwd'), SECRET);

  // Stick A: 10,000 folders that are not packages.
  stickA = join(dir, 'media', 'sticka');
  const rootA = join(stickA, 'midimon-plugins');
  await mkdir(rootA, { recursive: true });
  execFileSync('bash', ['-c', 'mkdir junk-{00000..09999}'], { cwd: rootA });
  // Stick B: a good package with a 64-character name, a link to a host file, a FIFO.
  stickB = join(dir, 'media', 'stickb');
  const bytes = fixture('healthy.wat', { name: LONG_NAME });
  const pkg = join(stickB, 'midimon-plugins', `${LONG_NAME}-1.0.0`);
  await mkdir(pkg, { recursive: true });
  await writeFile(join(pkg, `${LONG_NAME}.wasm`), bytes);
  const sha = createHash('sha256').update(bytes).digest('hex');
  await writeFile(
    join(pkg, 'plugin.toml'),
    renderManifest({ name: LONG_NAME, version: '1.0.0', description: `test plugin ${LONG_NAME}`, author: 'tests', license: 'MIT', binaryPath: `${LONG_NAME}.wasm`, checksum: `sha256:${sha}`, required: [], optional: [] }),
  );
  await mkdir(join(stickB, 'midimon-plugins', 'evil-1.0.0'));
  await symlink(join(dir, 'host-passwd'), join(stickB, 'midimon-plugins', 'evil-1.0.0', 'plugin.toml'));
  await mkdir(join(stickB, 'midimon-plugins', 'fifo-1.0.0'));
  execFileSync('mkfifo', [join(stickB, 'midimon-plugins', 'fifo-1.0.0', 'plugin.toml')]);

  const stateDir = join(dir, 'state');
  await mkdir(join(dir, 'run'), { recursive: true });
  await seedSimulation(configPath, stateDir, silentLogger());
  clock = new ManualScheduler(Date.UTC(2026, 0, 1, 12));
  const socketPath = join(dir, 'run', 'control.sock');
  // Plugin loads run in worker threads: on a loaded CI machine an install can take longer than the CLI's 10 s default.
  client = new ControlClient({ socketPath, timeoutMs: 120_000 });
  box = new MidimonBox({
    paths: { configPath, stateDir, runtimeDir: join(dir, 'run'), socketPath, simulated: true },
    log: silentLogger(),
    simulate: true,
    version: 'test',
    scheduler: clock,
    onRestart: () => undefined,
    onShutdown: () => undefined,
    readMountInfo: async () => mountInfo(),
    stickScan: {
      // Halfway through stick A: plug in stick B and ask for status, while A's scan is not finished.
      beforeFolder: async (index, folder) => {
        if (!folder.startsWith(stickA) || index !== 100) return;
        mounted.add(stickB);
        clock.advance(1100); // the watcher polls mountinfo once a second
        await waitFor('stick B seen', () => box.stickStatus().some((s) => s.mount === stickB));
        bMountedMidScan = true;
        answeredMidScan.push(await client.request({ cmd: 'status' }));
      },
    },
  });
  await box.start();
  await waitFor('plugins loaded', () => box.pluginSet.list().every((p) => p.loaded));
});

after(async () => {
  await box.stop();
  await rm(dir, { recursive: true, force: true });
});

test('10,000 folders on one stick and a second stick plugged in mid-scan: status answers during the scan, one problem per stick', async () => {
  let problemChanges = 0;
  const off = box.problems.onChange(() => void problemChanges++);
  mounted.add(stickA);
  clock.advance(1100);
  await waitFor('stick A seen', () => box.stickStatus().length > 0);
  await box.sticksScanned();
  off();

  // The control socket answered while A was being scanned, and B was waiting its turn.
  assert.equal(bMountedMidScan, true);
  assert.equal(answeredMidScan.length, 1);
  assert.deepEqual(answeredMidScan[0]?.usb?.sticks.map((s) => [s.mount, s.state]), [
    [stickA, 'scanning'],
    [stickB, 'queued'],
  ]);

  const status = await client.request({ cmd: 'status' });
  assert.deepEqual(status.usb?.sticks, [
    { mount: stickA, state: 'scanned', packages: 0, refused: 200 },
    { mount: stickB, state: 'scanned', packages: 1, refused: 2 },
  ]);
  // One summarised problem per stick, not one per folder (and not one redraw per folder).
  const usbProblems = box.problems.active().filter((p) => p.key.startsWith('usb:'));
  assert.deepEqual(usbProblems.map((p) => p.key).sort(), [`usb:${stickA}`, `usb:${stickB}`]);
  assert.ok(problemChanges <= 2, `${problemChanges} problem changes for two sticks`);
  const a = usbProblems.find((p) => p.key === `usb:${stickA}`);
  assert.match(a?.message ?? '', /^USB sticka: 200 folders refused \(midimon-plugins\/junk-\d+\/plugin\.toml is missing\); stopped looking after 2000 entries$/);
  const b = usbProblems.find((p) => p.key === `usb:${stickB}`);
  assert.match(b?.details ?? '', /evil-1\.0\.0\/plugin\.toml is a symbolic link/);
  assert.match(b?.details ?? '', /fifo-1\.0\.0\/plugin\.toml is not a regular file/);

  // The host file's content is nowhere: not in status, not on the OLED's Errors page.
  assert.doesNotMatch(JSON.stringify(status), /SECRET|root:x/);
  assert.doesNotMatch(JSON.stringify(box.menuContext().errors), /SECRET|root:x/);
  assert.deepEqual(box.stickOffers().map((o) => o.name), [LONG_NAME]);
});

test('a plugin with a 64-character name installs; the install is info on the banner, not an error anywhere', async () => {
  const [offer] = box.stickOffers();
  assert.ok(offer);
  const r = await client.request({ cmd: 'plugin.install', path: offer.path });
  assert.deepEqual(r.installed && [r.name, r.version], [LONG_NAME, '1.0.0']);
  await waitFor('installed plugin loaded', () => box.pluginSet.list().find((p) => p.name === LONG_NAME && p.loaded));
  // The sticks' warnings outrank it on the banner; it is there as info.
  const news = box.problems.active().find((p) => p.key === `usb-installed:${LONG_NAME}`);
  assert.deepEqual([news?.severity, news?.message], ['info', `installed ${LONG_NAME} 1.0.0`]);
  const status = await client.request({ cmd: 'status' });
  assert.deepEqual(status.recent_errors.filter((e) => /installed/.test(e.message)), []);
  assert.ok(!status.recent_errors.some((e) => e.kind === 'internal'), JSON.stringify(status.recent_errors));
  assert.ok(!box.menuContext().errors.some((e) => /installed/.test(e.message)));
});

test('pulling the sticks clears their problems and offers', async () => {
  mounted.clear();
  clock.advance(1100);
  await waitFor('sticks gone', () => box.stickStatus().length === 0 && box.stickOffers().length === 0);
  assert.deepEqual(box.problems.active().filter((p) => p.key.startsWith('usb:')), []);
});
