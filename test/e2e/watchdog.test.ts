// The watchdog keep-alive of the real daemon: pings go out while the event loop is healthy
// and stop while it is blocked (the test hook, enabled only by MIDIMON_TEST_HOOKS=1).
// systemd is not booted here: a fake systemd-notify on PATH records each call with its time;
// the restart itself (WatchdogSec=30 -> SIGABRT -> Restart=always) needs a Pi.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { until } from './helpers/cli.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const INTERVAL_MS = 1000; // WATCHDOG_USEC / 3 (the notifier's floor is 1 s)
const BLOCK_MS = 5000;

const waitFor = <T>(what: string, probe: () => Promise<T | undefined> | T | undefined): Promise<T> => until(what, probe);

test('keep-alives flow while the loop is healthy, stop while it is blocked, and resume after', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'midimon-watchdog-'));
  const bin = join(dir, 'bin');
  const log = join(dir, 'notify.log');
  await import('node:fs/promises').then((fs) => fs.mkdir(bin));
  // The fake: one line per call, "<ms since epoch> <arguments>".
  await writeFile(join(bin, 'systemd-notify'), `#!/bin/sh\necho "$(date +%s%3N) $*" >>"${log}"\n`);
  await chmod(join(bin, 'systemd-notify'), 0o755);
  const child = spawn(process.execPath, [join(repo, 'bin/midimon-daemon.js'), '--simulate', '--config', join(dir, 'config.toml'), '--socket', join(dir, 'control.sock')], {
    cwd: dir,
    stdio: 'ignore',
    env: { ...process.env, PATH: `${bin}:${process.env['PATH'] ?? ''}`, NOTIFY_SOCKET: join(dir, 'notify.sock'), WATCHDOG_USEC: String(INTERVAL_MS * 3000), MIDIMON_TEST_HOOKS: '1', MIDIMON_TEST_HOOK_DIR: dir, MIDIMON_TEST_BLOCK_MS: String(BLOCK_MS), MIDIMON_LOG_LEVEL: 'warn' },
  });
  const pings = async () =>
    (await readFile(log, 'utf8').catch(() => ''))
      .split('\n')
      .filter((l) => l.includes('WATCHDOG=1'))
      .map((l) => Number(l.split(' ')[0]));
  try {
    const lines = await waitFor('READY', async () => ((await readFile(log, 'utf8').catch(() => '')).includes('--ready') ? true : undefined));
    assert.ok(lines);
    assert.match(await readFile(log, 'utf8'), new RegExp(`--pid=${child.pid ?? 0} --ready`));
    await waitFor('two keep-alives', async () => ((await pings()).length >= 2 ? true : undefined));
    child.kill('SIGUSR2');
    const end = await waitFor('the block to end', async () => (existsSync(join(dir, 'blocked-end')) ? Number(await readFile(join(dir, 'blocked-end'), 'utf8')) : undefined));
    const start = Number(await readFile(join(dir, 'blocked-start'), 'utf8'));
    await waitFor('keep-alives to resume', async () => ((await pings()).some((t) => t > end) ? true : undefined));
    // A healthy loop would have pinged ~4 times in the window; a ping spawned just before the
    // block may still log during its first interval, so the window starts one interval in.
    const during = (await pings()).filter((t) => t > start + INTERVAL_MS && t < end);
    assert.deepEqual(during, [], `keep-alives were sent while the event loop was blocked (${start}..${end})`);
  } finally {
    child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  }
});
