// Issue 11's figure: the real daemon in simulation (bin/midimon-daemon.js
// --simulate) is offered sticks through the documented seam
// (MIDIMON_MEDIA_ROOT): a bad stick with 10,000 folders, then a second stick
// plugged in while the first is being scanned. Meanwhile `status` is asked
// over the control socket back to back, one request per connection as the
// CLI does; the figures are its latency while the sticks are being scanned
// (target: within 200 ms), next to the same loop with no stick for the ratio.
// USB_STICK_ROUNDS sets how often both sticks are plugged and pulled (default 5).
import { spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { ControlClient } from '../src/control/client.js';
import type { StatusResult } from '../src/control/protocol.js';
import { renderManifest } from '../src/plugins/manifest.js';
import { summarize, type Bench } from './util.js';

const repo = fileURLToPath(new URL('../', import.meta.url));

/** Stick A: 10,000 folders, each with a plugin.toml that does not parse (every folder looked at is a refusal). */
async function badStick(at: string): Promise<void> {
  const root = join(at, 'midimon-plugins');
  await mkdir(root, { recursive: true });
  execFileSync('bash', ['-c', 'mkdir bad-{00000..09999} && for d in bad-*; do printf "[plugin\\nname = " > "$d/plugin.toml"; done'], { cwd: root });
}

/** Stick B: one good package beside a few refusals. */
async function secondStick(at: string): Promise<void> {
  const root = join(at, 'midimon-plugins');
  const wasm = await readFile(join(repo, 'plugins/chord/chord.wasm')).catch(() => Buffer.from('\0asm\x01\0\0\0'));
  const pkg = join(root, 'bench-1.0.0');
  await mkdir(pkg, { recursive: true });
  await writeFile(join(pkg, 'bench.wasm'), wasm);
  const sha = createHash('sha256').update(wasm).digest('hex');
  await writeFile(join(pkg, 'plugin.toml'), renderManifest({ name: 'bench', version: '1.0.0', description: 'bench', author: 'bench', license: 'MIT', binaryPath: 'bench.wasm', checksum: `sha256:${sha}`, required: [], optional: [] }));
  for (let i = 0; i < 20; i++) await mkdir(join(root, `empty-${i}`));
}

const bench: Bench = async () => {
  const rounds = Math.max(1, Number(process.env['USB_STICK_ROUNDS'] ?? 5) || 5);
  const dir = await mkdtemp(join(tmpdir(), 'midimon-bench-usb-'));
  const media = join(dir, 'media');
  const aside = join(dir, 'aside');
  await mkdir(media);
  await mkdir(aside);
  await badStick(join(aside, 'sticka'));
  await secondStick(join(aside, 'stickb'));
  const config = join(dir, 'config.toml');
  await writeFile(config, (await readFile(join(repo, 'docs/example-config.toml'), 'utf8')).replaceAll('"../plugins/', `"${repo}plugins/`));
  const socketPath = join(dir, 'control.sock');
  const child = spawn(process.execPath, [join(repo, 'bin/midimon-daemon.js'), '--simulate', '--config', config, '--socket', socketPath], {
    cwd: dir,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, MIDIMON_LOG_LEVEL: 'warn', MIDIMON_MEDIA_ROOT: media, MIDIMON_STATE_DIR: join(dir, 'state') },
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const client = new ControlClient({ socketPath, timeoutMs: 30_000 });
  const status = () => client.request({ cmd: 'status' });
  try {
    for (let i = 0; ; i++) {
      if (await status().then(() => true, () => false)) break;
      if (i > 600 || child.exitCode !== null) throw new Error(`the daemon did not start: ${stderr.slice(-2000)}`);
      await sleep(50);
    }
    for (let i = 0; (await status()).plugins.some((p) => !p.loaded); i++) {
      if (i > 600) throw new Error('plugins did not load');
      await sleep(50);
    }

    /** Asks status back to back until `done` says so; latency of each answer. */
    const loop = async (done: (s: StatusResult, elapsedMs: number) => boolean): Promise<number[]> => {
      const times: number[] = [];
      const start = performance.now();
      for (;;) {
        const t0 = performance.now();
        const s = await status();
        const t1 = performance.now();
        times.push(t1 - t0);
        if (done(s, t1 - start) || t1 - start > 120_000) return times;
      }
    };

    await loop((_s, ms) => ms > 1000); // warm-up, not counted
    const during: number[] = [];
    const windows: number[] = [];
    let refusedA = 0;
    let midScan = 0;
    for (let r = 0; r < rounds; r++) {
      const plugged = performance.now();
      await rename(join(aside, 'sticka'), join(media, 'sticka'));
      let bIn = false;
      const samples = await loop((s) => {
        const sticks = s.usb?.sticks ?? [];
        const a = sticks.find((x) => x.mount.endsWith('sticka'));
        if (sticks.some((x) => x.state !== 'scanned')) midScan++;
        // The second stick goes in while the first is being scanned (or, on a fast disk, as soon as it is seen).
        if (!bIn && a !== undefined) {
          bIn = true;
          void rename(join(aside, 'stickb'), join(media, 'stickb'));
        }
        if (a?.state === 'scanned') refusedA = a.refused;
        return sticks.length === 2 && sticks.every((x) => x.state === 'scanned');
      });
      windows.push(performance.now() - plugged);
      during.push(...samples);
      await rename(join(media, 'sticka'), join(aside, 'sticka'));
      await rename(join(media, 'stickb'), join(aside, 'stickb'));
      await loop((s) => (s.usb?.sticks.length ?? 0) === 0);
    }
    // The same loop with no stick, after the rounds (same warm process), for the ratio.
    const idle = await loop((_s, ms) => ms > 2000);
    const d = summarize(during);
    const i = summarize(idle);
    return [
      { name: 'usb_status_during_scan_p50', value: d.p50, unit: 'ms', target: `(${during.length} answers from plug to both scanned, ${rounds} rounds; ${midScan} showed a scan under way)` },
      { name: 'usb_status_during_scan_p99', value: d.p99, unit: 'ms' },
      { name: 'usb_status_during_scan_max', value: d.max, unit: 'ms', target: '<= 200' },
      { name: 'usb_status_idle_p50', value: i.p50, unit: 'ms', target: '(no stick, same loop)' },
      { name: 'usb_status_idle_max', value: i.max, unit: 'ms' },
      { name: 'usb_plug_to_both_scanned_p50', value: summarize(windows).p50, unit: 'ms', target: '(includes the 1 s mount poll)' },
      { name: 'usb_stick_a_refused', value: refusedA, unit: 'dirs', target: '(bounded: SCAN_LIMITS.maxFolders)' },
    ];
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => (child.exitCode !== null ? r(undefined) : child.once('exit', r)));
    await rm(dir, { recursive: true, force: true });
  }
};
export default bench;
