// `midimon tempo` and the tempo line of `midimon status`, against a control
// server whose handler records what it was asked.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ControlServer } from '../../src/control/server.js';
import type { ControlHandlers, TempoRequest, TempoStatus } from '../../src/control/protocol.js';
import { MidimonError } from '../../src/errors.js';
import { silentLogger } from '../../src/log.js';
import { main } from '../../src/cli/main.js';
import type { CliIo } from '../../src/cli/io.js';
import { tempoRequestOf } from '../../src/cli/commands/tempo.js';
import { formatStatus } from '../../src/cli/commands/status.js';

function captureIo(cwd: string): CliIo & { out: () => string; err: () => string } {
  const out: string[] = [];
  const err: string[] = [];
  return { stdout: (t) => void out.push(t), stderr: (t) => void err.push(t), env: {}, cwd, out: () => out.join(''), err: () => err.join('') };
}

const asked: TempoRequest[] = [];
let tempo: TempoStatus = { bpm: 120, running: false, source: 'internal', locked: true, tick: -1, beat: 0, bar: 1, beat_in_bar: 1, beats_per_bar: 4 };
let dir: string;
let socket: string;
let server: ControlServer;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'midimon-cli-tempo-'));
  socket = join(dir, 'control.sock');
  const unused = async (): Promise<never> => {
    throw new MidimonError('internal', 'unused');
  };
  const handlers: ControlHandlers = {
    status: unused, reload: unused, mode: unused, configShow: unused, configPath: unused, screenshot: unused,
    pluginList: unused, pluginEnable: unused, pluginDisable: unused, pluginGrant: unused, pluginRevoke: unused, pluginInstall: unused, send: unused, devices: unused, panic: unused, setlist: unused, learn: unused, monitor: () => () => undefined,
    tempo: async (req) => {
      asked.push(req);
      if (req.transport === 'continue') throw new MidimonError('bad_request', 'the clock follows an external MIDI clock');
      if (req.bpm !== undefined) tempo = { ...tempo, bpm: req.bpm };
      if (req.transport === 'start') tempo = { ...tempo, running: true, tick: 100, beat: 4, bar: 2, beat_in_bar: 1 };
      return tempo;
    },
  };
  server = new ControlServer({ socketPath: socket, handlers, log: silentLogger() });
  await server.start();
});

after(async () => {
  await server.stop();
  await rm(dir, { recursive: true, force: true });
});

test('arguments map to one request each; nonsense is a usage error', () => {
  assert.deepEqual(tempoRequestOf([]), {});
  assert.deepEqual(tempoRequestOf(['128.5']), { bpm: 128.5 });
  assert.deepEqual(tempoRequestOf(['+2']), { nudge: 2 });
  assert.deepEqual(tempoRequestOf(['-0.5']), { nudge: -0.5 });
  assert.deepEqual(tempoRequestOf(['tap']), { tap: true });
  assert.deepEqual(tempoRequestOf(['toggle']), { transport: 'toggle' });
  assert.deepEqual(tempoRequestOf(['source', 'external']), { source: 'external' });
  assert.equal(typeof tempoRequestOf(['400']), 'string');
  assert.equal(typeof tempoRequestOf(['120.25']), 'string');
  assert.equal(typeof tempoRequestOf(['fast']), 'string');
  assert.equal(typeof tempoRequestOf(['source', 'midi']), 'string');
  assert.equal(typeof tempoRequestOf(['start', 'now']), 'string');
});

test('midimon tempo 128.5 / start / -1 / show, over the socket', async () => {
  asked.length = 0;
  const set = captureIo(dir);
  assert.equal(await main(['tempo', '128.5', '--socket', socket], set), 0);
  assert.equal(set.out(), '128.5 BPM, stopped, internal clock, at the top\n');
  const start = captureIo(dir);
  assert.equal(await main(['tempo', 'start', '--socket', socket], start), 0);
  assert.equal(start.out(), '128.5 BPM, running, internal clock, bar 2 beat 1/4 (tick 100)\n');
  assert.equal(await main(['tempo', '-1', '--socket', socket], captureIo(dir)), 0);
  const json = captureIo(dir);
  assert.equal(await main(['tempo', '--json', '--socket', socket], json), 0);
  assert.equal((JSON.parse(json.out()) as TempoStatus).bpm, 128.5);
  assert.deepEqual(asked, [{ bpm: 128.5 }, { transport: 'start' }, { nudge: -1 }, {}]);
});

test('a refused request exits non-zero with the reason; a bad argument exits with usage and sends nothing', async () => {
  asked.length = 0;
  const io = captureIo(dir);
  assert.notEqual(await main(['tempo', 'continue', '--socket', socket], io), 0);
  assert.match(io.err(), /external MIDI clock/);
  const bad = captureIo(dir);
  assert.equal(await main(['tempo', '999', '--socket', socket], bad), 2);
  assert.match(bad.err(), /outside 20-300/);
  assert.deepEqual(asked, [{ transport: 'continue' }]);
});

test('midimon status shows the tempo line when the box reports one', () => {
  const text = formatStatus({
    version: '1', pid: 1, uptime_s: 1, simulated: true, mode: null, devices: [], plugins: [], recent_errors: [],
    config: { path: '/c', applied_hash: null, disk_hash: null, up_to_date: true, applied_origin: 'file', applied_at: null, last_error: null },
    tempo: { bpm: 96, running: true, source: 'external', locked: true, tick: 30, beat: 1, bar: 1, beat_in_bar: 2, beats_per_bar: 4 },
  });
  assert.match(text, /^tempo: {3}96\.0 BPM, running, following external clock, bar 1 beat 2\/4 \(tick 30\)$/m);
});
