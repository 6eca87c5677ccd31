import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ControlServer } from '../../src/control/server.js';
import { ControlClient } from '../../src/control/client.js';
import { CONTROL_COMMANDS, type ControlHandlers, type ModeTarget, type StatusResult } from '../../src/control/protocol.js';
import { MidimonError, isMidimonError } from '../../src/errors.js';
import { silentLogger } from '../../src/log.js';
import type { Capability } from '../../src/config/schema.js';
import { boxConfigSchema } from '../../src/config/schema.js';

/** Fake handlers that record what they were asked. */
function fakeHandlers(calls: string[]): ControlHandlers {
  const modes = ['Clean', 'Drive', 'Loop'];
  let index = 0;
  const grants: Capability[] = [];
  const status: StatusResult = {
    version: '0.1.0',
    pid: 1,
    uptime_s: 5,
    simulated: true,
    mode: { name: 'Clean', index: 0, count: 3 },
    devices: [],
    plugins: [],
    recent_errors: [],
    config: { path: '/c.toml', applied_hash: 'abc', disk_hash: 'abc', up_to_date: true, applied_origin: 'file', applied_at: null, last_error: null },
  };
  return {
    status: async () => (calls.push('status'), status),
    reload: async () => (calls.push('reload'), { applied: true, changed: ['devices.midi'], hash: 'def' }),
    mode: async (t: ModeTarget) => {
      calls.push(`mode:${JSON.stringify(t)}`);
      if (t === 'next') index = (index + 1) % modes.length;
      else if (t === 'prev') index = (index + modes.length - 1) % modes.length;
      else {
        const i = modes.indexOf(t.name);
        if (i < 0) throw new MidimonError('not_found', `no mode named '${t.name}'`);
        index = i;
      }
      return { name: modes[index] ?? '', index, count: modes.length };
    },
    configShow: async () => (calls.push('config.show'), { path: '/c.toml', hash: 'abc', config: boxConfigSchema.parse({ modes: [{ name: 'A' }] }) }),
    configPath: async () => (calls.push('config.path'), { path: '/c.toml' }),
    screenshot: async () => (calls.push('screenshot'), { width: 128, height: 64, png_base64: 'iVBORw0KGgo=' }),
    pluginList: async () => (calls.push('plugin.list'), { plugins: [] }),
    pluginEnable: async (name) => (calls.push(`enable:${name}`), { name, enabled: true, capabilities_granted: grants }),
    pluginDisable: async (name) => (calls.push(`disable:${name}`), { name, enabled: false, capabilities_granted: grants }),
    pluginGrant: async (name, cap) => (calls.push(`grant:${name}:${cap}`), grants.push(cap), { name, enabled: true, capabilities_granted: [...grants] }),
    pluginRevoke: async (name, cap) => {
      calls.push(`revoke:${name}:${cap}`);
      throw new Error('boom');
    },
    pluginInstall: async (path) => (calls.push(`install:${path ?? ''}`), { installed: false, packages: [] }),
    tempo: async (req) => (calls.push(`tempo:${JSON.stringify(req)}`), { bpm: req.bpm ?? 120, running: false, source: 'internal', locked: true, tick: -1, beat: 0, bar: 1, beat_in_bar: 1, beats_per_bar: 4 }),
    send: async (r) => (calls.push(`send:${r.input}`), { input: r.input, delivered: r.messages?.length ?? 1, duration_ms: 0 }),
    devices: async () => ({ backend: 'fake', ports: [] }),
    monitor: () => () => undefined,
  panic: async () => ({ channels: 0 }),
    setlist: async () => Promise.reject(new Error('unused')),
    // Waits until its client hangs up, like a `learn` nobody answers.
    learn: (_req, signal) =>
      new Promise((_resolve, reject) => {
        calls.push('learn');
        signal?.addEventListener('abort', () => (calls.push('learn:aborted'), reject(new Error('aborted'))));
      }),
  };
}

/** Sends raw bytes, collects every answer line until the server closes or `lines` arrived. */
function raw(path: string, payload: string, lines = 1): Promise<{ answers: unknown[]; closedByServer: boolean }> {
  return new Promise((resolve, reject) => {
    const s = createConnection(path);
    let buf = '';
    const answers: unknown[] = [];
    s.setEncoding('utf8');
    s.on('connect', () => s.write(payload));
    s.on('data', (d: string) => {
      buf += d;
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        answers.push(JSON.parse(buf.slice(0, nl)));
        buf = buf.slice(nl + 1);
      }
      if (answers.length >= lines && lines > 0) {
        s.end();
        resolve({ answers, closedByServer: false });
      }
    });
    s.on('end', () => resolve({ answers, closedByServer: true }));
    s.on('error', reject);
  });
}

describe('ControlServer', () => {
  let dir: string;
  let socketPath: string;
  let server: ControlServer;
  let client: ControlClient;
  const calls: string[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'midimon-ctl-'));
    socketPath = join(dir, 'run', 'control.sock');
    server = new ControlServer({ socketPath, handlers: fakeHandlers(calls), log: silentLogger(), maxRequestBytes: 1024 });
    await server.start();
    client = new ControlClient({ socketPath });
  });
  after(async () => {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('socket file is mode 0660', async () => {
    const st = await stat(socketPath);
    assert.ok(st.isSocket());
    assert.equal(st.mode & 0o777, 0o660);
  });

  test('every command reaches its handler with typed arguments', async () => {
    calls.length = 0;
    assert.equal((await client.request({ cmd: 'status' })).mode?.name, 'Clean');
    assert.deepEqual(await client.request({ cmd: 'reload' }), { applied: true, changed: ['devices.midi'], hash: 'def' });
    assert.equal((await client.request({ cmd: 'mode', target: 'next' })).name, 'Drive');
    assert.equal((await client.request({ cmd: 'mode', target: 'prev' })).name, 'Clean');
    assert.equal((await client.request({ cmd: 'mode', target: { name: 'Loop' } })).index, 2);
    assert.equal((await client.request({ cmd: 'config.show' })).config.devices.display.height, 64);
    assert.equal((await client.request({ cmd: 'config.path' })).path, '/c.toml');
    assert.equal((await client.request({ cmd: 'screenshot' })).width, 128);
    assert.deepEqual(await client.request({ cmd: 'plugin.list' }), { plugins: [] });
    assert.equal((await client.request({ cmd: 'plugin.enable', name: 'looper' })).enabled, true);
    assert.equal((await client.request({ cmd: 'plugin.disable', name: 'looper' })).enabled, false);
    assert.deepEqual((await client.request({ cmd: 'plugin.grant', name: 'looper', capability: 'Network' })).capabilities_granted, ['Network']);
    assert.deepEqual(calls, [
      'status',
      'reload',
      'mode:"next"',
      'mode:"prev"',
      'mode:{"name":"Loop"}',
      'config.show',
      'config.path',
      'screenshot',
      'plugin.list',
      'enable:looper',
      'disable:looper',
      'grant:looper:Network',
    ]);
  });

  test('a long wait (learn) is aborted when its client hangs up', async () => {
    calls.length = 0;
    const s = createConnection(socketPath);
    await new Promise<void>((resolve) => s.once('connect', () => resolve()));
    s.write(`${JSON.stringify({ cmd: 'learn', mode: 'Clean', timeout_ms: 5000 })}\n`);
    for (let i = 0; i < 200 && !calls.includes('learn'); i++) await new Promise((r) => setTimeout(r, 5));
    assert.deepEqual(calls, ['learn'], 'the handler is waiting');
    s.destroy();
    for (let i = 0; i < 200 && !calls.includes('learn:aborted'); i++) await new Promise((r) => setTimeout(r, 5));
    assert.deepEqual(calls, ['learn', 'learn:aborted']);
  });

  test('a MidimonError from a handler keeps its kind; other throws become internal', async () => {
    await assert.rejects(client.request({ cmd: 'mode', target: { name: 'Nope' } }), (e: unknown) => isMidimonError(e, 'not_found') && e.message === "no mode named 'Nope'");
    await assert.rejects(client.request({ cmd: 'plugin.revoke', name: 'x', capability: 'Network' }), (e: unknown) => isMidimonError(e, 'internal') && e.message === 'boom');
  });

  test('non-JSON gets a clear error and the connection stays usable', async () => {
    const { answers } = await raw(socketPath, 'hello\n{"cmd":"config.path","id":7}\n', 2);
    const [first, second] = answers as [{ ok: boolean; error: { kind: string; message: string } }, unknown];
    assert.equal(first.ok, false);
    assert.equal(first.error.kind, 'bad_request');
    assert.match(first.error.message, /^request is not valid JSON: /);
    assert.deepEqual(second, { id: 7, ok: true, result: { path: '/c.toml' } });
  });

  test('unknown command lists the known ones', async () => {
    const { answers } = await raw(socketPath, '{"cmd":"shutdown","id":"a"}\n');
    assert.deepEqual(answers[0], {
      id: 'a',
      ok: false,
      error: {
        kind: 'bad_request',
        message:
          `unknown command 'shutdown'; known commands: ${CONTROL_COMMANDS.join(', ')}`,
      },
    });
  });

  test('bad arguments are reported by path', async () => {
    const { answers } = await raw(socketPath, '{"cmd":"plugin.grant","name":"x","capability":"Root"}\n');
    const a = answers[0] as { ok: boolean; error: { kind: string; message: string } };
    assert.equal(a.error.kind, 'bad_request');
    assert.equal(a.error.message, `invalid 'plugin.grant' request: capability: Invalid option: expected one of "Network"|"Filesystem"|"Process"|"Midi"`);
  });

  test('an oversized request is answered with an error and the connection closed', async () => {
    const big = `{"cmd":"status","pad":"${'x'.repeat(2000)}"}`; // no newline: the cap must trigger on the buffer
    const { answers, closedByServer } = await raw(socketPath, big, 0);
    assert.equal(closedByServer, true);
    assert.deepEqual(answers, [{ ok: false, error: { kind: 'bad_request', message: 'request too large: the limit is 1024 bytes per line' } }]);
  });

  test('a second server on a live socket refuses to start', async () => {
    const other = new ControlServer({ socketPath, handlers: fakeHandlers([]), log: silentLogger() });
    await assert.rejects(other.start(), (e: unknown) => isMidimonError(e, 'device_unavailable'));
  });
});

test('a stale socket file from a crashed run is replaced', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'midimon-ctl-'));
  const socketPath = join(dir, 'control.sock');
  // What a SIGKILLed service leaves behind: a socket file nobody listens on.
  const child = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(socketPath)}, () => console.log('ready'))`]);
  await new Promise<void>((r) => child.stdout.once('data', () => r()));
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
  assert.ok((await stat(socketPath)).isSocket());
  const server = new ControlServer({ socketPath, handlers: fakeHandlers([]), log: silentLogger() });
  await server.start();
  try {
    assert.deepEqual(await new ControlClient({ socketPath }).request({ cmd: 'config.path' }), { path: '/c.toml' });
  } finally {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  }
});

test('client explains that the service is not running', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'midimon-ctl-'));
  const socketPath = join(dir, 'control.sock');
  try {
    await assert.rejects(
      new ControlClient({ socketPath }).request({ cmd: 'status' }),
      (e: unknown) =>
        isMidimonError(e, 'not_found') &&
        e.message === `midimon service is not running (no socket at ${socketPath}): start it with 'sudo systemctl start midimon' or 'npm start'`,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a socket path longer than the kernel allows is refused with a clear error', async () => {
  const socketPath = `/tmp/${'x'.repeat(120)}/control.sock`;
  const server = new ControlServer({ socketPath, handlers: fakeHandlers([]), log: silentLogger() });
  await assert.rejects(server.start(), (e: unknown) => isMidimonError(e, 'bad_request') && /too long \(\d+ bytes, the limit is 107\)/.test(e.message));
});

test('an idle client is disconnected', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'midimon-ctl-'));
  const socketPath = join(dir, 'control.sock');
  const server = new ControlServer({ socketPath, handlers: fakeHandlers([]), log: silentLogger(), idleTimeoutMs: 20 });
  await server.start();
  try {
    const { answers, closedByServer } = await raw(socketPath, '', 0);
    assert.deepEqual(answers, []);
    assert.equal(closedByServer, true);
  } finally {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  }
});
