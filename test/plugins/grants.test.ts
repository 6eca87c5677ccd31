import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { silentLogger } from '../../src/log.js';
import { PluginHost } from '../../src/plugins/host.js';
import { ERRNO } from '../../src/plugins/wasi/wasi-errors.js';
import { fixture } from './helpers/wat.js';

const probe = (description = 'probe') => fixture('fs-probe', { name: 'probe', meta: { capabilities: ['Filesystem'], description } });

async function readCode(host: PluginHost): Promise<number> {
  const r = await host.execute('probe', 'rhello.txt');
  assert.equal(r.status, 'returned');
  return r.status === 'returned' ? r.code : -1;
}

// The store's tests run plugins in this process (a plugin process boot per host would only add
// seconds); the last test runs across the default process boundary.
test('grants are stored by name + SHA-256, survive a new host, and a new build must be granted again', async () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'midimon-grants-'));
  mkdirSync(join(stateDir, 'plugin-data', 'probe'), { recursive: true });
  writeFileSync(join(stateDir, 'plugin-data', 'probe', 'hello.txt'), 'hi');

  const first = new PluginHost({ log: silentLogger(), stateDir, profile: 'desktop', isolation: 'thread' });
  const loaded = await first.load('probe', { bytes: probe() });
  assert.deepEqual(loaded.granted, ['Midi']);
  assert.deepEqual(loaded.denied, ['Filesystem']);
  assert.equal(await readCode(first), 100 + ERRNO.NOTCAPABLE);
  assert.deepEqual(await first.grant('probe', 'Filesystem'), ['Filesystem', 'Midi']);
  assert.equal(await readCode(first), 0, 'the grant applies from the next instance');
  await first.stop();

  const stored = JSON.parse(readFileSync(join(stateDir, 'grants.json'), 'utf8')) as { grants: Record<string, string[]> };
  assert.deepEqual(stored.grants[`probe@${loaded.sha256}`], ['Filesystem']);

  const second = new PluginHost({ log: silentLogger(), stateDir, profile: 'desktop', isolation: 'thread' });
  const again = await second.load('probe', { bytes: probe() });
  assert.deepEqual(again.granted, ['Filesystem', 'Midi']);
  assert.equal(await readCode(second), 0);
  // Another build (different bytes, different SHA-256) under the same name is not granted.
  const rebuilt = await second.load('probe', { bytes: probe('rebuilt') });
  assert.notEqual(rebuilt.sha256, loaded.sha256);
  assert.deepEqual(rebuilt.denied, ['Filesystem']);
  assert.equal(await readCode(second), 100 + ERRNO.NOTCAPABLE);
  await second.stop();

  const third = new PluginHost({ log: silentLogger(), stateDir, profile: 'desktop', isolation: 'thread' });
  await third.load('probe', { bytes: probe() });
  assert.deepEqual(await third.revoke('probe', 'Filesystem'), ['Midi']);
  assert.equal(await readCode(third), 100 + ERRNO.NOTCAPABLE);
  await third.stop();
});

test('grants from the config are honoured without touching the store', async () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'midimon-grants-'));
  const host = new PluginHost({ log: silentLogger(), stateDir, profile: 'desktop', isolation: 'thread', grants: { probe: ['Filesystem'] } });
  const loaded = await host.load('probe', { bytes: probe() });
  assert.deepEqual(loaded.granted, ['Filesystem', 'Midi']);
  assert.equal(await readCode(host), 100 + ERRNO.NOENT);
  await host.stop();
});

test('a corrupt grants file does not stop the host', async () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'midimon-grants-'));
  writeFileSync(join(stateDir, 'grants.json'), '{not json');
  const host = new PluginHost({ log: silentLogger(), stateDir, profile: 'desktop', isolation: 'thread' });
  const loaded = await host.load('probe', { bytes: probe() });
  assert.deepEqual(loaded.granted, ['Midi']);
  await host.stop();
});

test('Midi, granted by default, can be revoked: midi_send is refused, the revocation survives a new host, and granting restores it', async (t) => {
  const stateDir = mkdtempSync(join(tmpdir(), 'midimon-grants-'));
  const sent: string[] = [];
  const hostWith = () => new PluginHost({ log: silentLogger(), stateDir, profile: 'desktop', onHostCall: (_p, c) => void sent.push(c.fn) });
  const calls = fixture('host-calls', { name: 'calls' });
  const hosts: PluginHost[] = [];
  t.after(() => Promise.all(hosts.map((h) => h.stop())));
  const first = hostWith();
  hosts.push(first);
  await first.load('calls', { bytes: calls });
  await first.execute('calls', 'go');
  assert.deepEqual(sent, ['midi_send', 'set_mode', 'log', 'midi_send']);
  assert.deepEqual(await first.revoke('calls', 'Midi'), []);
  sent.length = 0;
  // The fixture returns 10 when its first midi_send is refused (-1).
  const refused = await first.execute('calls', 'go');
  assert.equal(refused.status === 'returned' && refused.code, 10);
  assert.deepEqual(sent, [], 'midi_send refused once Midi is revoked');
  await first.stop();

  const second = hostWith();
  hosts.push(second);
  const again = await second.load('calls', { bytes: calls });
  assert.deepEqual(again.granted, []);
  sent.length = 0;
  const still = await second.execute('calls', 'go');
  assert.equal(still.status === 'returned' && still.code, 10);
  assert.deepEqual(sent, []);
  assert.deepEqual(await second.grant('calls', 'Midi'), ['Midi']);
  sent.length = 0;
  await second.execute('calls', 'go');
  assert.deepEqual(sent, ['midi_send', 'set_mode', 'log', 'midi_send']);
  await second.stop();
  const stored = JSON.parse(readFileSync(join(stateDir, 'grants.json'), 'utf8')) as { revoked?: Record<string, string[]> };
  assert.equal(stored.revoked, undefined, 'nothing left revoked');
});
