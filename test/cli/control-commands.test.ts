import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ControlServer } from '../../src/control/server.js';
import type { ControlHandlers, ReloadResult, StatusResult } from '../../src/control/protocol.js';
import { boxConfigSchema } from '../../src/config/schema.js';
import { MidimonError } from '../../src/errors.js';
import { silentLogger } from '../../src/log.js';
import { main } from '../../src/cli/main.js';
import type { CliIo } from '../../src/cli/io.js';

function captureIo(cwd: string): CliIo & { out: () => string; err: () => string } {
  const out: string[] = [];
  const err: string[] = [];
  return { stdout: (t) => void out.push(t), stderr: (t) => void err.push(t), env: {}, cwd, out: () => out.join(''), err: () => err.join('') };
}

const STATUS: StatusResult = {
  version: '0.1.0',
  pid: 42,
  uptime_s: 3725,
  simulated: false,
  mode: { name: 'Drive', index: 1, count: 3 },
  devices: [
    { name: 'Launchpad', kind: 'midi-in', connected: true, detail: 'alias pad' },
    { name: 'left', kind: 'footswitch', connected: true },
    { name: 'ssd1306@0x3c', kind: 'display', connected: false, detail: 'no ACK on i2c-1' },
  ],
  plugins: [{ name: 'looper', version: '1.2.0', enabled: true, loaded: true, lane: 'isolated', capabilities_granted: ['Midi'] }],
  recent_errors: [{ at: '2026-11-27T05:00:00.000Z', kind: 'timeout', message: 'looper: action took longer than 20 ms', source: 'plugin' }],
  config: {
    path: '/etc/midimon/config.toml',
    applied_hash: 'aaaa',
    disk_hash: 'bbbb',
    up_to_date: false,
    applied_origin: 'file',
    applied_at: '2026-11-27T04:00:00.000Z',
    last_error: {
      kind: 'config_invalid',
      message: 'invalid config /etc/midimon/config.toml:4: devices.display.height: expected one of 64, 32, found integer 48',
      at: '2026-11-27T05:01:00.000Z',
      issues: [{ file: '/etc/midimon/config.toml', line: 4, column: 1, path: 'devices.display.height', message: 'expected one of 64, 32, found integer 48' }],
    },
  },
};

describe('control CLI commands against a running (fake) service', () => {
  let dir: string;
  let socket: string;
  let server: ControlServer;
  let reloadResult: ReloadResult;
  let panics = 0;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'midimon-cli-ctl-'));
    socket = join(dir, 'control.sock');
    const modes = ['Clean', 'Drive', 'Loop'];
    let index = 1;
    const handlers: ControlHandlers = {
      status: async () => STATUS,
      reload: async () => reloadResult,
      mode: async (t) => {
        if (t === 'next') index = (index + 1) % 3;
        else if (t === 'prev') index = (index + 2) % 3;
        else if (modes.includes(t.name)) index = modes.indexOf(t.name);
        else throw new MidimonError('not_found', `no mode named '${t.name}' (modes: Clean, Drive, Loop)`);
        return { name: modes[index] ?? '', index, count: 3 };
      },
      configShow: async () => ({ path: '/etc/midimon/config.toml', hash: 'aaaa', config: boxConfigSchema.parse({ modes: [{ name: 'Live' }] }) }),
      configPath: async () => ({ path: '/etc/midimon/config.toml' }),
      screenshot: async () => ({ width: 128, height: 64, png_base64: '' }),
      pluginList: async () => ({ plugins: [] }),
      pluginEnable: async (name) => ({ name, enabled: true, capabilities_granted: [] }),
      pluginDisable: async (name) => ({ name, enabled: false, capabilities_granted: [] }),
      pluginGrant: async (name) => ({ name, enabled: true, capabilities_granted: [] }),
      pluginRevoke: async (name) => ({ name, enabled: true, capabilities_granted: [] }),
      pluginInstall: async () => ({ installed: false, packages: [] }),
      tempo: async () => ({ bpm: 120, running: false, source: 'internal', locked: true, tick: -1, beat: 0, bar: 1, beat_in_bar: 1, beats_per_bar: 4 }),
      send: async (r) => ({ input: r.input, delivered: 1, duration_ms: 0 }),
      devices: async () => ({ backend: 'fake', ports: [] }),
      monitor: () => () => undefined,
      setlist: async () => Promise.reject(new MidimonError('not_found', 'no [setlist] in the config')),
      panic: async () => {
        panics++;
        return { channels: 3 };
      },
      learn: async () => {
        throw new MidimonError('timeout', 'nothing arrived');
      },
    };
    server = new ControlServer({ socketPath: socket, handlers, log: silentLogger() });
    await server.start();
  });
  after(async () => {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('status prints mode, config state with the rejected edit, devices, plugins, errors', async () => {
    const io = captureIo(dir);
    assert.equal(await main(['status', '--socket', socket], io), 0);
    assert.equal(
      io.out(),
      [
        'midimon-box 0.1.0, pid 42, up 1h 2m 5s',
        'mode:    Drive (2/3)',
        'config:  /etc/midimon/config.toml (NOT applied: the running config differs from the file, running aaaa)',
        '         last edit rejected at 2026-11-27T05:01:00.000Z: invalid config /etc/midimon/config.toml:4: devices.display.height: expected one of 64, 32, found integer 48',
        '           /etc/midimon/config.toml:4:1: devices.display.height: expected one of 64, 32, found integer 48',
        'devices:',
        '  + midi-in    Launchpad  alias pad',
        '  + footswitch left',
        '  - display    ssd1306@0x3c  no ACK on i2c-1',
        'plugins:',
        '  looper 1.2.0: loaded, grants Midi',
        'recent errors:',
        '  2026-11-27T05:00:00.000Z timeout [plugin]: looper: action took longer than 20 ms',
        '',
      ].join('\n'),
    );
    const json = captureIo(dir);
    assert.equal(await main(['status', '--socket', socket, '--json'], json), 0);
    assert.deepEqual(JSON.parse(json.out()), STATUS);
  });

  test('learn: usage mistakes exit 2 before asking the box; a box timeout exits 1 with its message', async () => {
    for (const [argv, msg] of [
      [['learn', '--add'], '--add needs --action'],
      [['learn', '--mode', 'A', '--global'], '--mode and --global exclude each other'],
      [['learn', '--timeout', '99'], '--timeout must be 0.1..55 seconds'],
      [['learn', '--action', 'type = "Teleport"'], 'invalid action'],
    ] as const) {
      const io = captureIo(dir);
      assert.equal(await main([...argv, '--socket', socket], io), 2, argv.join(' '));
      assert.match(io.err(), new RegExp(msg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
    }
    const io = captureIo(dir);
    assert.equal(await main(['learn', '--timeout', '1', '--socket', socket], io), 1);
    assert.equal(io.err(), 'listening for 1 s: press a key or pad, move a knob, or step on a footswitch...\nmidimon learn: nothing arrived\n');
  });

  test('panic asks the box once and says how many channels got notes off', async () => {
    let io = captureIo(dir);
    assert.equal(await main(['panic', '--socket', socket], io), 0);
    assert.equal(io.out(), 'all notes off on 3 output channels\n');
    assert.equal(panics, 1);
    io = captureIo(dir);
    assert.equal(await main(['panic', '--socket', socket, '--json'], io), 0);
    assert.deepEqual(JSON.parse(io.out()), { channels: 3 });
    io = captureIo(dir);
    assert.equal(await main(['panic', 'now', '--socket', socket], io), 2, 'no arguments');
    assert.equal(panics, 2);
  });

  test('mode NAME|next|prev, and an unknown mode exits 1 with the service message', async () => {
    let io = captureIo(dir);
    assert.equal(await main(['mode', 'next', '--socket', socket], io), 0);
    assert.equal(io.out(), 'Loop (3/3)\n');
    io = captureIo(dir);
    assert.equal(await main(['mode', 'Clean', '--socket', socket], io), 0);
    assert.equal(io.out(), 'Clean (1/3)\n');
    io = captureIo(dir);
    assert.equal(await main(['mode', 'prev', '--socket', socket], io), 0);
    assert.equal(io.out(), 'Loop (3/3)\n');
    io = captureIo(dir);
    assert.equal(await main(['mode', 'Nope', '--socket', socket], io), 1);
    assert.equal(io.err(), "midimon mode: no mode named 'Nope' (modes: Clean, Drive, Loop)\n");
  });

  test('reload: applied, unchanged, and rejected (exit 1, issues listed)', async () => {
    reloadResult = { applied: true, changed: ['devices.midi', 'modes'], hash: 'cccc' };
    let io = captureIo(dir);
    assert.equal(await main(['reload', '--socket', socket], io), 0);
    assert.equal(io.out(), 'config applied (cccc); changed: devices.midi, modes\n');
    reloadResult = { applied: false, reason: 'unchanged', hash: 'cccc' };
    io = captureIo(dir);
    assert.equal(await main(['reload', '--socket', socket], io), 0);
    assert.equal(io.out(), 'config unchanged (cccc)\n');
    reloadResult = {
      applied: false,
      reason: 'invalid',
      error: { kind: 'config_invalid', message: 'invalid config /c.toml:3: menu.timeout_s: expected a value <= 3600, found integer 9000', issues: [{ file: '/c.toml', line: 3, column: 1, path: 'menu.timeout_s', message: 'expected a value <= 3600, found integer 9000' }] },
    };
    io = captureIo(dir);
    assert.equal(await main(['reload', '--socket', socket], io), 1);
    assert.equal(
      io.err(),
      'midimon reload: config rejected, the box keeps running the previous one: invalid config /c.toml:3: menu.timeout_s: expected a value <= 3600, found integer 9000\n  /c.toml:3:1: menu.timeout_s: expected a value <= 3600, found integer 9000\n',
    );
  });

  test('config show asks the service for the effective config', async () => {
    const io = captureIo(dir);
    assert.equal(await main(['config', 'show', '--socket', socket, '--json'], io), 0);
    assert.equal((JSON.parse(io.out()) as { modes: Array<{ name: string }> }).modes[0]?.name, 'Live');
  });
});

test('commands explain a stopped service and exit 1', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'midimon-cli-ctl-'));
  try {
    const socket = join(dir, 'control.sock');
    for (const cmd of [['status'], ['reload'], ['mode', 'next']]) {
      const io = captureIo(dir);
      assert.equal(await main([...cmd, '--socket', socket], io), 1);
      assert.equal(io.err(), `midimon ${cmd[0]}: midimon service is not running (no socket at ${socket}): start it with 'sudo systemctl start midimon' or 'npm start'\n`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('logs --print shows the journalctl command', async () => {
  let io = captureIo('/');
  assert.equal(await main(['logs', '--print'], io), 0);
  assert.equal(io.out(), 'journalctl -u midimon -o cat -n 50 -f\n');
  io = captureIo('/');
  assert.equal(await main(['logs', '--print', '-n', '10', '--no-follow'], io), 0);
  assert.equal(io.out(), 'journalctl -u midimon -o cat -n 10 --no-pager\n');
  io = captureIo('/');
  assert.equal(await main(['logs', '-n', 'x'], io), 2);
});
