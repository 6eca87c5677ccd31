import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { silentLogger } from '../../src/log.js';
import { PluginHost } from '../../src/plugins/host.js';
import { HOST_BYTES_PER_EXECUTE, HOST_CALLS_PER_EXECUTE, resolveLimits } from '../../src/plugins/limits.js';
import { MIDI_SEND_MAX } from '../../src/plugins/runtime/host-functions.js';
import { createPluginServer } from '../../src/plugins/lanes/plugin-server.js';
import type { HostToWorker, WorkerToHost } from '../../src/plugins/lanes/protocol.js';
import { buildRequest } from '../../src/plugins/runtime/request.js';
import { compilePlugin } from '../../src/plugins/runtime/runtime.js';
import type { ExecuteResult, HostCall } from '../../src/plugins/types.js';
import { fixture } from './helpers/wat.js';

// Issue 10 item 4: what one execute may hand the main thread is bounded (calls and bytes), and it
// crosses as one batch with its bytes in a transferred typed array. The main thread's work per
// execute is measured here by what it receives (messages, calls, bytes), not by a clock; the
// event-loop figure before and after is in bench/host-calls.bench.ts.

const KiB = 1024;
/** The reported shape: 1,024 SysEx messages of 4 KiB in one execute. */
const flood = (count: number, len: number, name = 'flood'): Uint8Array => fixture('sysex-flood', { name, vars: { COUNT: count, LEN: len, LAST: 8192 + len - 1 } });

function errorOf(r: ExecuteResult): { kind: string; message: string } {
  assert.equal(r.status, 'error', `expected an error, got ${JSON.stringify(r)}`);
  return r.status === 'error' ? { kind: r.error.kind, message: r.error.message } : { kind: '', message: '' };
}

const received: Array<[string, HostCall]> = [];
const sent = (plugin: string) => received.filter(([p]) => p === plugin).map(([, c]) => c);
const midiBytes = (calls: readonly HostCall[]) => calls.reduce((n, c) => n + (c.fn === 'midi_send' ? c.bytes.length : 0), 0);

describe('host calls per execute (isolated lane, worker thread)', () => {
  const host = new PluginHost({ log: silentLogger(), stateDir: mkdtempSync(join(tmpdir(), 'midimon-send-')), profile: 'desktop', isolation: 'thread', onHostCall: (p, c) => received.push([p, c]) });
  after(() => host.stop());

  test('1,024 SysEx of 4 KiB in one execute end in send_limit naming the plugin; the main thread gets at most the byte bound', async () => {
    await host.load('sysex-flood', { bytes: flood(1024, 4 * KiB) });
    const e = errorOf(await host.execute('sysex-flood', 'go'));
    assert.equal(e.kind, 'send_limit');
    assert.match(e.message, /plugin 'sysex-flood' sent more than 131072 bytes/);
    const calls = sent('sysex-flood');
    // What fitted was delivered (it had been accepted), nothing past the bound.
    assert.equal(calls.length, HOST_BYTES_PER_EXECUTE / (4 * KiB));
    assert.ok(midiBytes(calls) <= HOST_BYTES_PER_EXECUTE);
    // The instance is discarded like after any failure; the next call runs on a fresh one.
    received.length = 0;
    assert.equal(errorOf(await host.execute('sysex-flood', 'go')).kind, 'send_limit');
  });

  test('a 64 KiB SysEx dump (16 x 4 KiB) fits in one execute and arrives intact and in order', async () => {
    received.length = 0;
    await host.load('dump', { bytes: flood(16, 4 * KiB, 'dump') });
    const r = await host.execute('dump', 'go');
    assert.equal(r.status === 'returned' && r.code, 0);
    const calls = sent('dump');
    assert.equal(calls.length, 16);
    calls.forEach((c, i) => {
      assert.ok(c.fn === 'midi_send');
      assert.equal(c.bytes.length, 4 * KiB);
      assert.deepEqual([c.bytes[0], c.bytes[1], c.bytes[2], c.bytes[4 * KiB - 1]], [0xf0, i, 0, 0xf7]);
    });
  });

  test('one 64 KiB SysEx goes out in a single midi_send; one byte more is refused (-1)', async () => {
    received.length = 0;
    await host.load('dump1', { bytes: flood(1, MIDI_SEND_MAX, 'dump1') });
    const r = await host.execute('dump1', 'go');
    assert.equal(r.status === 'returned' && r.code, 0);
    const [call] = sent('dump1');
    assert.ok(call !== undefined && call.fn === 'midi_send');
    assert.equal(call.bytes.length, 64 * KiB);
    assert.deepEqual([call.bytes[0], call.bytes[64 * KiB - 1]], [0xf0, 0xf7]);
    received.length = 0;
    await host.load('dump2', { bytes: flood(1, MIDI_SEND_MAX + 1, 'dump2') });
    const refused = await host.execute('dump2', 'go');
    assert.equal(refused.status === 'returned' && refused.code, 1, 'the first (only) send is refused');
    assert.equal(sent('dump2').length, 0);
  });

  test('more host calls than the call bound end in send_limit, even when each is small', async () => {
    received.length = 0;
    await host.load('notes', { bytes: flood(HOST_CALLS_PER_EXECUTE + 1, 3, 'notes') });
    const e = errorOf(await host.execute('notes', 'go'));
    assert.equal(e.kind, 'send_limit');
    assert.match(e.message, /plugin 'notes' made more than 1024 host calls/);
    assert.equal(sent('notes').length, HOST_CALLS_PER_EXECUTE);
    // Exactly at the bound is fine.
    received.length = 0;
    await host.load('notes-ok', { bytes: flood(HOST_CALLS_PER_EXECUTE, 3, 'notes-ok') });
    const ok = await host.execute('notes-ok', 'go');
    assert.equal(ok.status === 'returned' && ok.code, 0);
    assert.equal(sent('notes-ok').length, HOST_CALLS_PER_EXECUTE);
  });
});

describe('what crosses the thread boundary per execute', () => {
  // The same request server as in every worker (and the realtime lane): its posts are the messages.
  function serve(bytes: Uint8Array): { posts: Array<{ m: WorkerToHost; transfer: ArrayBuffer[] | undefined }>; send: (msg: HostToWorker) => void } {
    const posts: Array<{ m: WorkerToHost; transfer: ArrayBuffer[] | undefined }> = [];
    const send = createPluginServer((m, transfer) => posts.push({ m, transfer }));
    const limits = resolveLimits('desktop');
    send({ t: 'load', id: 1, name: 'wire', source: { kind: 'compiled', ...compilePlugin(bytes, limits) }, limits, granted: ['Midi'], dataDir: null });
    posts.length = 0;
    return { posts, send };
  }

  test('one message with every call of the execute, its bytes in transferred buffers, then the outcome', () => {
    const { posts, send } = serve(flood(HOST_CALLS_PER_EXECUTE, 64));
    send({ t: 'execute', id: 2, request: buildRequest('go', {}) });
    assert.deepEqual(posts.map((p) => p.m.t), ['host_calls', 'executed']);
    const first = posts[0];
    assert.ok(first !== undefined && first.m.t === 'host_calls');
    const { batch } = first.m;
    assert.equal(batch.ops.length / 3, HOST_CALLS_PER_EXECUTE);
    assert.ok(batch.data instanceof Uint8Array && batch.data.length === HOST_CALLS_PER_EXECUTE * 64);
    // Transferred, not copied: the receiving thread takes the buffers over.
    assert.deepEqual(first.transfer, [batch.ops.buffer, batch.data.buffer]);
  });

  test('the hostile flood crosses as one bounded batch before its send_limit failure', () => {
    const { posts, send } = serve(flood(1024, 4 * KiB));
    send({ t: 'execute', id: 2, request: buildRequest('go', {}) });
    assert.deepEqual(posts.map((p) => p.m.t), ['host_calls', 'failed']);
    const first = posts[0];
    assert.ok(first !== undefined && first.m.t === 'host_calls' && first.m.batch.data.length <= HOST_BYTES_PER_EXECUTE);
  });
});

describe('host calls per execute (realtime lane and plugin process)', () => {
  test('in the realtime lane its capped fuel binds before either bound (500k fuel pays for < 48 KiB of midi_send)', async () => {
    const host = new PluginHost({ log: silentLogger(), stateDir: mkdtempSync(join(tmpdir(), 'midimon-send-rt-')), profile: 'desktop', isolation: 'thread', onHostCall: (p, c) => received.push([p, c]) });
    try {
      received.length = 0;
      await host.load('rt-flood', { bytes: flood(1024, 4 * KiB, 'rt-flood') }, { lane: 'realtime' });
      assert.equal(errorOf(await host.execute('rt-flood', 'go')).kind, 'out_of_fuel');
      assert.ok(midiBytes(sent('rt-flood')) < 48 * KiB);
    } finally {
      await host.stop();
    }
  });

  test('through the plugin process, a 64 KiB dump arrives intact and the flood is bounded', async () => {
    const host = new PluginHost({ log: silentLogger(), stateDir: mkdtempSync(join(tmpdir(), 'midimon-send-proc-')), profile: 'desktop', isolation: 'process', onHostCall: (p, c) => received.push([p, c]) });
    try {
      received.length = 0;
      await host.load('p-dump', { bytes: flood(16, 4 * KiB, 'p-dump') });
      assert.equal((await host.execute('p-dump', 'go')).status, 'returned');
      const calls = sent('p-dump');
      assert.equal(midiBytes(calls), 64 * KiB);
      assert.ok(calls.every((c, i) => c.fn === 'midi_send' && c.bytes[0] === 0xf0 && c.bytes[1] === i && c.bytes[4 * KiB - 1] === 0xf7));
      await host.load('p-flood', { bytes: flood(1024, 4 * KiB, 'p-flood') });
      assert.equal(errorOf(await host.execute('p-flood', 'go')).kind, 'send_limit');
      assert.equal(midiBytes(sent('p-flood')), HOST_BYTES_PER_EXECUTE);
    } finally {
      await host.stop();
    }
  });
});
