// `midimon send` words -> bytes, its usage errors, and `midimon monitor`'s lines.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseMessageWords, parseNote } from '../../src/cli/commands/send.js';
import { formatEvent } from '../../src/cli/commands/monitor.js';
import { main as cli } from '../../src/cli/main.js';
import { ControlServer } from '../../src/control/server.js';
import type { ControlHandlers, SendRequest } from '../../src/control/protocol.js';
import { MidimonError } from '../../src/errors.js';
import { silentLogger } from '../../src/log.js';
import { UsageError } from '../../src/cli/io.js';

test('every message kind becomes its bytes on the given channel, with the release --hold uses', () => {
  assert.deepEqual(parseMessageWords(['note', '60', '100'], 1), { messages: [[0x90, 60, 100]], release: [[0x80, 60, 0]] });
  assert.deepEqual(parseMessageWords(['note', 'C4'], 2), { messages: [[0x91, 60, 100]], release: [[0x81, 60, 0]] });
  assert.deepEqual(parseMessageWords(['off', '60'], 16), { messages: [[0x8f, 60, 0]] });
  assert.deepEqual(parseMessageWords(['cc', '1', '64'], 1), { messages: [[0xb0, 1, 64]], release: [[0xb0, 1, 0]] });
  assert.deepEqual(parseMessageWords(['pc', '5'], 16), { messages: [[0xcf, 5]] });
  assert.deepEqual(parseMessageWords(['bend', '-2000'], 1), { messages: [[0xe0, 0x30, 0x30]], release: [[0xe0, 0, 64]] });
  assert.deepEqual(parseMessageWords(['at', '40'], 1), { messages: [[0xd0, 40]], release: [[0xd0, 0]] });
  assert.deepEqual(parseMessageWords(['poly', '60', '40'], 1), { messages: [[0xa0, 60, 40]], release: [[0xa0, 60, 0]] });
  assert.deepEqual(parseMessageWords(['sysex', '7E', '7F', '06', '01'], 1), { messages: [[0xf0, 0x7e, 0x7f, 6, 1, 0xf7]] });
  assert.deepEqual(parseMessageWords(['sysex', 'F07E7F0601F7'], 1), { messages: [[0xf0, 0x7e, 0x7f, 6, 1, 0xf7]] });
  assert.deepEqual(parseMessageWords(['raw', '90', '3C', '64'], 1), { messages: [[0x90, 0x3c, 0x64]] });
  assert.deepEqual(parseMessageWords(['long'], 1), { gesture: 'long' });
  assert.equal(parseNote('F#3'), 54);
  assert.equal(parseNote('Bb2'), 46);
  assert.equal(parseNote('C-1'), 0);
});

test('bad words are usage errors that say what is wrong', () => {
  const cases: Array<[string[], RegExp]> = [
    [[], /missing MESSAGE/],
    [['note'], /'note' needs 1-2 values/],
    [['note', '60', '100', '5'], /unexpected extra argument '5' after 'note'/],
    [['note', '128'], /note must be a whole number 0\.\.127, not '128'/],
    [['note', '60', '0'], /velocity must be a whole number 1\.\.127/],
    [['cc', '1'], /'cc' needs 2 values/],
    [['bend', '9000'], /-8192\.\.8191/],
    [['raw', 'zz'], /'zz' is not a hex byte/],
    [['raw'], /missing raw bytes/],
    [['note', 'H4'], /note must be/],
    [['press', 'now'], /unexpected extra argument 'now'/],
    [['wiggle'], /unknown message 'wiggle'/],
  ];
  for (const [words, message] of cases) assert.throws(() => parseMessageWords(words, 1), (e: unknown) => e instanceof UsageError && message.test(e.message), words.join(' '));
});

test('the CLI sends the parsed request (hold, repeat, interval, channel) and reports usage errors cleanly', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'midimon-send-cli-'));
  const socketPath = join(dir, 'c.sock');
  const got: SendRequest[] = [];
  const unused = async (): Promise<never> => {
    throw new MidimonError('internal', 'unused');
  };
  const handlers: ControlHandlers = {
    status: unused, reload: unused, mode: unused, configShow: unused, configPath: unused, screenshot: unused,
    pluginList: unused, pluginEnable: unused, pluginDisable: unused, pluginGrant: unused, pluginRevoke: unused, pluginInstall: unused, tempo: unused,
    send: async (r) => (got.push(r), { input: 'Keystation', alias: 'keys', delivered: 2 * (r.repeat ?? 1), duration_ms: 10 }),
    devices: async () => ({ backend: 'fake', ports: [] }),
    monitor: () => () => undefined,
    panic: async () => ({ channels: 0 }),
    setlist: async () => Promise.reject(new Error('unused')),
    learn: unused,
  };
  const server = new ControlServer({ socketPath, handlers, log: silentLogger() });
  await server.start();
  try {
    const run = async (...argv: string[]) => {
      let out = '';
      let err = '';
      const code = await cli(['send', ...argv, '--socket', socketPath], { stdout: (t) => (out += t), stderr: (t) => (err += t), env: {}, cwd: dir });
      return { code, out, err };
    };
    const ok = await run('keys', 'note', '60', '90', '--channel', '3', '--hold', '250', '--repeat', '2', '--interval', '400');
    assert.equal(ok.code, 0, ok.err);
    assert.deepEqual(got[0], { input: 'keys', messages: [[0x92, 60, 90]], hold_ms: 250, release: [[0x82, 60, 0]], repeat: 2, interval_ms: 400 });
    assert.match(ok.out, /sent note_on ch3 60 vel 90 as Keystation \(keys\) \(4 deliveries in 10 ms\)/);
    const held = await run('keys', 'pc', '5', '--hold', '100');
    assert.equal(held.code, 2);
    assert.match(held.err, /--hold does not apply to 'pc'/);
    const chan = await run('keys', 'cc', '1', '2', '--channel', '17');
    assert.equal(chan.code, 2);
    assert.match(chan.err, /--channel must be a whole number 1\.\.16, not '17'/);
    assert.equal(got.length, 1, 'nothing sent for refused commands');
  } finally {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  }
});

test('monitor lines: time, direction, device, decoded message and hex', () => {
  const at = new Date(2026, 0, 1, 12, 3, 4, 5).getTime();
  assert.equal(formatEvent({ type: 'midi-in', at, device: 'Keystation', alias: 'keys', bytes: [0x90, 60, 100], text: 'note_on ch1 60 vel 100', injected: true }), `12:03:04.005 in   keys           note_on ch1 60 vel 100         90 3c 64  (send)`);
  assert.match(formatEvent({ type: 'midi-out', at, output: 'synth', bytes: [0xb0, 74, 1], text: 'cc ch1 #74 = 1', ports: 0 }), /out  synth .* b0 4a 01  \(no open port: dropped\)$/);
  assert.match(formatEvent({ type: 'plugin', at, plugin: 'chord', action: 'play', status: 'returned', code: 0, meaning: 'ok', fuel: 1234, us: 56 }), /plug chord +play: returned 0 \(ok\)  \[fuel 1234, 56 us\]/);
  assert.match(formatEvent({ type: 'mode', at, name: 'Live', number: 3, count: 3, previous: 'Chords', source: 'socket' }), /mode Live \(3\/3\) from Chords by socket/);
  assert.match(formatEvent({ type: 'dropped', at, count: 7 }), /dropped 7 events/);
});

test('unknown options and extra arguments get one clean line naming them, exit 2, for every command', async () => {
  const run = async (...argv: string[]) => {
    let out = '';
    let err = '';
    const code = await cli(argv, { stdout: (t) => (out += t), stderr: (t) => (err += t), env: {}, cwd: tmpdir() });
    return { code, out, err };
  };
  const cases: Array<[string[], string]> = [
    [['status', '--bogus'], "midimon status: unknown option '--bogus' (see 'midimon status --help')\n"],
    [['status', 'extra'], "midimon status: unexpected extra argument 'extra' (see 'midimon status --help')\n"],
    [['reload', 'now'], "midimon reload: unexpected extra argument 'now' (see 'midimon reload --help')\n"],
    [['mode', 'Live', 'Drive'], "midimon mode: unexpected extra argument 'Drive' (see 'midimon mode --help')\n"],
    [['config', 'show', 'x.toml'], "midimon config: unexpected extra argument 'x.toml' (see 'midimon config show --help')\n"],
    [['config', 'check', 'a.toml', 'b.toml'], "midimon config: unexpected extra argument 'b.toml' (see 'midimon config check --help')\n"],
    [['monitor', '--socket'], "midimon monitor: option '--socket' needs a value (see 'midimon monitor --help')\n"],
    [['logs', '-x'], "midimon logs: unknown option '-x' (see 'midimon logs --help')\n"],
    [['send', 'keys', 'note', '60', '--velocity', '3'], "midimon send: unknown option '--velocity' (see 'midimon send --help')\n"],
  ];
  for (const [argv, message] of cases) {
    const r = await run(...argv);
    assert.equal(r.code, 2, argv.join(' '));
    assert.equal(r.err, message, argv.join(' '));
  }
  // A negative value is a value: `send keys bend -2000` parses (and fails only for want of a box).
  const bend = await run('send', 'keys', 'bend', '-2000', '--socket', join(tmpdir(), 'absent-midimon.sock'));
  assert.equal(bend.code, 1);
  assert.match(bend.err, /not running/);
});
