import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { CliIo } from '../../src/cli/io.js';
import { main } from '../../src/cli/main.js';
import { fixture } from '../plugins/helpers/wat.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'midimon-cli-'));
function file(name: string, bytes: Uint8Array): string {
  const p = join(dir, `${name}.wasm`);
  writeFileSync(p, bytes);
  return p;
}
const healthy = file('healthy', fixture('healthy'));
const trapper = file('trapper', fixture('trap-then-good', { name: 'trapper' }));
const looper = file('looper', fixture('loop-execute'));
const missing = file('missing', fixture('missing-export'));

async function midimon(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'src/cli/bin.ts', ...args], { cwd: ROOT });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}
const events = (stdout: string) => stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);

test('plugin run --json: loaded, then one event per action in order; a trap does not stop the next action', async () => {
  const r = await midimon('plugin', 'run', trapper, 'ok', 't', 'c', '--json', '--velocity', '90');
  assert.equal(r.code, 1, r.stderr);
  const ev = events(r.stdout);
  assert.deepEqual(ev.map((e) => e['event']), ['loaded', 'executed', 'error', 'executed']);
  assert.equal(ev[0]?.['name'], 'trapper');
  assert.equal(ev[0]?.['version'], '1.0.0');
  assert.deepEqual(ev[0]?.['capabilities'], []);
  assert.equal(typeof ev[0]?.['fuel'], 'number');
  assert.deepEqual({ ...ev[1], fuel: 0, micros: 0 }, { event: 'executed', action: 'ok', code: 0, fuel: 0, micros: 0 });
  assert.equal(ev[2]?.['stage'], 'execute');
  assert.equal(ev[2]?.['action'], 't');
  assert.equal(ev[2]?.['kind'], 'trap');
  // Fresh instance after the trap: the per-instance call counter restarted at 1.
  assert.equal(ev[3]?.['code'], 1);
});

test('plugin run: exit 0 when every action returned 0; host calls are events too', async () => {
  const r = await midimon('plugin', 'run', healthy, 'a', 'b', '--json', '--mode', '3');
  assert.equal(r.code, 0, r.stderr);
  const ev = events(r.stdout);
  assert.deepEqual(ev.map((e) => e['event']), ['loaded', 'host_call', 'executed', 'host_call', 'executed']);
  const req = JSON.parse(String(ev[1]?.['message'])) as { context: Record<string, unknown> };
  assert.equal(req.context['current_mode'], 3);
  assert.equal(req.context['velocity'], null);
});

test('plugin run: load errors are one event with a stable kind, exit 1', async () => {
  const r = await midimon('plugin', 'run', missing, 'x', '--json');
  assert.equal(r.code, 1);
  const ev = events(r.stdout);
  assert.equal(ev.length, 1);
  assert.equal(ev[0]?.['event'], 'error');
  assert.equal(ev[0]?.['stage'], 'load');
  assert.equal(ev[0]?.['kind'], 'missing_export');
});

test('plugin run: --fuel and --timeout-ms bound a runaway action', async () => {
  const fuel = await midimon('plugin', 'run', looper, 'l', 'ok', '--json', '--fuel', '100000');
  assert.deepEqual(events(fuel.stdout).map((e) => e['kind'] ?? e['event']), ['loaded', 'out_of_fuel', 'executed']);
  const time = await midimon('plugin', 'run', looper, 'l', '--json', '--fuel', '1000000000000000', '--timeout-ms', '200');
  assert.deepEqual(events(time.stdout).map((e) => e['kind'] ?? e['event']), ['loaded', 'timeout']);
  assert.equal(time.code, 1);
});

test('plugin run --lane realtime: the endless loop ends at the lane\'s fuel cap, even when --fuel asks for more', async () => {
  const r = await inProcess('plugin', 'run', looper, 'l', 'ok', '--json', '--lane', 'realtime', '--fuel', '1000000000000000');
  const ev = events(r.stdout);
  assert.deepEqual(ev.map((e) => e['kind'] ?? e['event']), ['loaded', 'out_of_fuel', 'executed']);
  assert.match(String(ev[1]?.['message']), /limit 500000 per execute/);
});

/** In-process runs through the same dispatcher (no process spawn: fast). */
async function inProcess(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), env: { MIDIMON_LOG_LEVEL: 'silent' }, cwd: ROOT };
  return { code: await main(args, io), stdout, stderr };
}

test('plugin run: usage errors exit 2', async () => {
  assert.equal((await inProcess('plugin', 'run')).code, 2);
  assert.equal((await inProcess('plugin', 'run', healthy, '--velocity', '300')).code, 2);
  assert.equal((await inProcess('plugin', 'run', healthy, '--profile', 'mainframe')).code, 2);
  assert.equal((await inProcess('plugin', 'run', healthy, '--grant', 'Root')).code, 2);
  assert.equal((await inProcess('plugin', 'run', healthy, '--lane', 'fast')).code, 2);
  assert.equal((await inProcess('plugin', 'run', healthy, '--bogus')).code, 2);
  assert.equal((await inProcess('plugin', 'frobnicate')).code, 2);
});

test('plugin inspect --json: metadata, capabilities, imports/exports, size, SHA-256', async () => {
  const r = await inProcess('plugin', 'inspect', healthy, '--json');
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as Record<string, unknown>;
  assert.equal((out['metadata'] as Record<string, unknown>)['name'], 'healthy');
  assert.deepEqual(out['capabilities'], []);
  assert.deepEqual(out['imports'], ['midimon.log (func)']);
  assert.ok((out['exports'] as string[]).includes('execute (func)'));
  assert.match(String(out['sha256']), /^[0-9a-f]{64}$/);
  assert.equal(typeof out['size'], 'number');
  const bad = await inProcess('plugin', 'inspect', missing, '--json');
  assert.equal(bad.code, 1);
  assert.equal((JSON.parse(bad.stdout) as { error: { kind: string } }).error.kind, 'missing_export');
});

test('plugin run --param/--note/--channel reach the plugin like a mapping would pass them (the chord plugin reads them)', async () => {
  const chord = join(ROOT, 'plugins/chord/chord.wasm');
  const byNote = await midimon('plugin', 'run', chord, 'play', '--grant', 'Midi', '--note', '62', '--channel', '3', '--velocity', '90', '--param', 'shape=min7', '--json');
  assert.equal(byNote.code, 0, byNote.stderr);
  const sends = (stdout: string) => events(stdout).filter((e) => e['event'] === 'host_call').map((e) => e['bytes']);
  // D minor 7 from the context's note on channel 3 (0x92) at velocity 90.
  assert.deepEqual(sends(byNote.stdout), [[0x92, 62, 90], [0x92, 65, 90], [0x92, 69, 90], [0x92, 72, 90]]);
  // A JSON-looking value is that value (root = 48 the number); params win over the context's note.
  const byParam = await midimon('plugin', 'run', chord, 'play', '--grant', 'Midi', '--note', '62', '--velocity', '90', '--param', 'root=48', '--param', 'shape="maj7"', '--json');
  assert.deepEqual(sends(byParam.stdout), [[0x90, 48, 90], [0x90, 52, 90], [0x90, 55, 90], [0x90, 59, 90]]);
  const bad = await midimon('plugin', 'run', chord, 'play', '--param', 'novalue');
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--param expects KEY=VALUE, got 'novalue'/);
  const badNote = await midimon('plugin', 'run', chord, 'play', '--note', '200');
  assert.equal(badNote.code, 2);
  assert.match(badNote.stderr, /note/);
});
