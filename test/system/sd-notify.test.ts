import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, readFileSync, existsSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SystemdNotifier } from '../../src/system/sd-notify.js';
import { silentLogger } from '../../src/log.js';

async function waitForFile(path: string): Promise<string> {
  for (let i = 0; i < 200 && !existsSync(path); i++) await sleep(10);
  return readFileSync(path, 'utf8');
}

test('under systemd, ready() runs systemd-notify with our pid and the status', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'midimon-notify-'));
  const record = join(dir, 'calls');
  const fake = join(dir, 'systemd-notify');
  writeFileSync(fake, `#!/bin/sh\necho "$@" >> ${record}\n`);
  chmodSync(fake, 0o755);
  const oldPath = process.env['PATH'];
  process.env['PATH'] = `${dir}:${oldPath ?? ''}`;
  try {
    const n = new SystemdNotifier(silentLogger(), { NOTIFY_SOCKET: '/run/systemd/notify' });
    n.ready('mode 1: Live');
    const calls = await waitForFile(record);
    assert.match(calls, new RegExp(`--pid=${process.pid} --ready --status=mode 1: Live`));
    n.stopping();
  } finally {
    process.env['PATH'] = oldPath;
  }
});

test('outside systemd it does nothing', () => {
  const n = new SystemdNotifier(silentLogger(), {});
  assert.equal(n.enabled, false);
  n.ready('x');
  n.stopping();
});
