// `monitor` over the control socket: answered once, then a bounded event
// stream per connection. A client that stops reading makes events drop
// (counted, reported when it catches up); publishing never waits for it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createConnection, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ControlServer } from '../../src/control/server.js';
import type { ControlHandlers } from '../../src/control/protocol.js';
import type { MonitorEvent } from '../../src/control/monitor-protocol.js';
import { openMonitor } from '../../src/control/stream-client.js';
import { MidimonError, isMidimonError } from '../../src/errors.js';
import { silentLogger } from '../../src/log.js';

let dir: string;
let socketPath: string;
let server: ControlServer;
const listeners = new Set<(e: MonitorEvent) => void>();

function publish(e: MonitorEvent): void {
  for (const l of listeners) l(e);
}

async function until(what: string, probe: () => boolean): Promise<void> {
  // Bounded polling of real sockets; no timing is asserted.
  for (let i = 0; i < 400; i++) {
    if (probe()) return;
    await sleep(10);
  }
  assert.fail(`timed out waiting for ${what}`);
}

const noteOut = (i: number): MonitorEvent => ({ type: 'midi-out', at: i, output: 'synth', bytes: [0x90, i & 0x7f, 100], text: `note ${i}`, ports: 1 });

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'midimon-mon-'));
  socketPath = join(dir, 'control.sock');
  const unused = async (): Promise<never> => {
    throw new MidimonError('internal', 'unused');
  };
  const handlers: ControlHandlers = {
    status: unused, reload: unused, mode: unused, configShow: unused, configPath: unused, screenshot: unused,
    pluginList: unused, pluginEnable: unused, pluginDisable: unused, pluginGrant: unused, pluginRevoke: unused, pluginInstall: unused, tempo: unused, send: unused, devices: unused, panic: unused, setlist: unused, learn: unused,
    monitor: (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
  };
  server = new ControlServer({ socketPath, handlers, log: silentLogger(), idleTimeoutMs: 50, monitorMaxQueued: 100, monitorMaxBuffered: 8 * 1024 });
  await server.start();
});

after(async () => {
  await server.stop();
  await rm(dir, { recursive: true, force: true });
});

test('the answer comes first, then every event in order, one JSON object per line; closing unsubscribes', async () => {
  const got: MonitorEvent[] = [];
  const conn = openMonitor(socketPath, (e) => got.push(e));
  await conn.ready;
  assert.equal(listeners.size, 1);
  for (let i = 0; i < 5; i++) publish(noteOut(i));
  await until('5 events', () => got.length === 5);
  assert.deepEqual(got.map((e) => e.at), [0, 1, 2, 3, 4]);
  assert.deepEqual(got[0], noteOut(0));
  // Quiet longer than the idle timeout: a monitor connection stays open.
  await sleep(150);
  publish(noteOut(9));
  await until('the event after a quiet spell', () => got.length === 6);
  conn.close();
  await conn.closed;
  await until('unsubscribed', () => listeners.size === 0);
});

test('a client that stops reading: publishing never blocks, memory stays bounded, drops are counted and reported', async () => {
  // A raw client that asks for the stream and then does not read.
  const socket: Socket = createConnection(socketPath);
  let text = '';
  socket.setEncoding('utf8');
  socket.on('data', (d: string) => (text += d));
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  socket.write('{"cmd":"monitor","id":7}\n');
  await until('the answer', () => text.includes('\n'));
  assert.deepEqual(JSON.parse(text.split('\n')[0] ?? ''), { id: 7, ok: true, result: { streaming: true } });
  text = '';
  socket.pause();
  const published = 20_000;
  for (let i = 0; i < published; i++) {
    publish(noteOut(i));
    // Let the stream flush between bursts, as MIDI would arrive.
    if (i % 50 === 49) await new Promise((r) => setImmediate(r));
  }
  socket.resume();
  await until('the dropped report', () => text.includes('"dropped"'));
  publish(noteOut(published));
  await until('the last event', () => text.includes(`"at":${published},`));
  const events = text.trim().split('\n').map((l) => JSON.parse(l) as MonitorEvent);
  const dropped = events.filter((e) => e.type === 'dropped').reduce((n, e) => n + (e.type === 'dropped' ? e.count : 0), 0);
  const delivered = events.filter((e) => e.type === 'midi-out').length;
  assert.ok(dropped > 0, 'some events were dropped');
  assert.ok(delivered < published / 2, `most events were dropped, not buffered (${delivered} delivered)`);
  assert.equal(delivered + dropped, published + 1, 'every event is either delivered or counted');
  socket.destroy();
  await until('unsubscribed', () => listeners.size === 0);
});

test('lines after the monitor request are ignored; a bad monitor request is refused like any other', async () => {
  const socket = createConnection(socketPath);
  let text = '';
  socket.setEncoding('utf8');
  socket.on('data', (d: string) => (text += d));
  socket.write('{"cmd":"monitor","extra":1}\n{"cmd":"monitor"}\n{"cmd":"status"}\n');
  await until('two lines', () => text.split('\n').length >= 3);
  const [first, second] = text.split('\n').map((l) => (l === '' ? null : (JSON.parse(l) as { ok: boolean; error?: { message: string } })));
  assert.equal(first?.ok, false);
  assert.match(first?.error?.message ?? '', /extra/);
  assert.equal(second?.ok, true);
  publish(noteOut(1));
  await until('an event', () => text.split('\n').length >= 4);
  assert.equal(text.split('\n').filter(Boolean).length, 3, 'status was not answered on a streaming connection');
  socket.destroy();
});

test('openMonitor reports a box that is not running like every command does', async () => {
  const conn = openMonitor(join(dir, 'absent.sock'), () => undefined);
  await assert.rejects(conn.ready, (e: unknown) => isMidimonError(e) && e.kind === 'not_found' && /not running/.test(e.message));
});

test('a slow reader still gets the note right behind a 64 KiB SysEx dump (the default buffer holds the dump and what follows)', async () => {
  const { EventEmitter } = await import('node:events');
  const { MonitorStream } = await import('../../src/control/monitor-stream.js');
  // A socket whose reader has not read anything yet: every write stays buffered.
  const written: string[] = [];
  const fake = Object.assign(new EventEmitter(), {
    destroyed: false,
    writableLength: 0,
    setTimeout: () => undefined,
    write(chunk: string) {
      written.push(chunk);
      this.writableLength += chunk.length;
      return true;
    },
  });
  const stream = new MonitorStream(fake as unknown as Socket);
  let emit: (e: MonitorEvent) => void = () => undefined;
  stream.start((l) => {
    emit = l;
    return () => undefined;
  });
  const dump = [0xf0, ...Array.from({ length: 65_534 }, (_, i) => (i * 7) & 0x7f), 0xf7];
  // The dump is seen twice, coming in and going out, as `midimon monitor` shows it.
  emit({ type: 'midi-in', at: 1, device: 'keys', bytes: dump, text: 'sysex 65536 bytes', injected: true });
  emit({ type: 'midi-out', at: 1, output: 'synth', bytes: dump, text: 'sysex 65536 bytes', ports: 1 });
  await sleep(5);
  emit(noteOut(61));
  await sleep(5);
  const lines = written.join('').trim().split('\n').map((l) => JSON.parse(l) as MonitorEvent);
  assert.equal(stream.dropped, 0);
  assert.deepEqual(lines.map((e) => (e.type === 'midi-out' || e.type === 'midi-in' ? e.bytes.length : e.type)), [65_536, 65_536, 3]);
  stream.stop();
});
