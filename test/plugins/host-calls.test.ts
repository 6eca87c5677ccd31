import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { silentLogger } from '../../src/log.js';
import { PluginHost } from '../../src/plugins/host.js';
import type { HostCall } from '../../src/plugins/types.js';
import { fixture } from './helpers/wat.js';

const calls: Array<[string, HostCall]> = [];
const host = new PluginHost({ log: silentLogger(), stateDir: mkdtempSync(join(tmpdir(), 'midimon-calls-')), profile: 'desktop', onHostCall: (p, c) => calls.push([p, c]) });

before(async () => {
  await host.load('calls', { bytes: fixture('host-calls') });
  await host.load('echo', { bytes: fixture('healthy', { name: 'echo' }) });
});
after(() => host.stop());

test('midimon host calls reach onHostCall in the order the plugin made them, before the result', async () => {
  calls.length = 0;
  const r = await host.execute('calls', 'go');
  assert.equal(r.status === 'returned' && r.code, 0);
  assert.deepEqual(calls, [
    ['calls', { fn: 'midi_send', bytes: [0x90, 60, 100] }],
    ['calls', { fn: 'set_mode', mode: 'next' }],
    ['calls', { fn: 'log', level: 2, message: 'hello from wasm' }],
    ['calls', { fn: 'midi_send', bytes: [0x80, 60, 0] }],
  ]);
});

test('a host call with a pointer outside memory ends the call with bad_pointer', async () => {
  const r = await host.execute('calls', 'b');
  assert.equal(r.status === 'error' && r.error.kind, 'bad_pointer');
  assert.equal((await host.execute('calls', 'go')).status, 'returned');
});

test('the request is the guide JSON, with params only when given, context extras after the guide fields, and the params again as MIDIMon plugins read them', async () => {
  calls.length = 0;
  await host.execute('echo', 'play', { velocity: 100, currentMode: 2, timestamp: 1705612800000 });
  await host.execute('echo', 'transpose', { velocity: null, timestamp: 1, extra: { trigger: 'footswitch', velocity: 5 } }, { semitones: -2, label: 'down' });
  const sent = calls.map(([, c]) => (c.fn === 'log' ? c.message : ''));
  assert.equal(sent[0], '{"action":"play","context":{"velocity":100,"current_mode":2,"timestamp":1705612800000,"metadata":{}},"parameters":[]}');
  assert.deepEqual(JSON.parse(sent[1] ?? ''), {
    action: 'transpose',
    // metadata: desktop MIDIMon's template reads params here, as strings.
    context: { velocity: null, current_mode: null, timestamp: 1, trigger: 'footswitch', metadata: { semitones: '-2', label: 'down' } },
    // parameters: the values in the order written, as strings (MIDIMon's system-utils plugin reads these).
    parameters: ['-2', 'down'],
    params: { semitones: -2, label: 'down' },
  });
});

test('execute reports fuel and time for every call; unknown plugins resolve to not_found', async () => {
  const r = await host.execute('echo', 'x');
  assert.equal(r.status, 'returned');
  assert.ok(r.fuel > 0 && r.fuelTotal >= r.fuel && r.micros >= 0);
  const missing = await host.execute('nobody', 'x');
  assert.equal(missing.status === 'error' && missing.error.kind, 'not_found');
});
