import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DEFAULT_CONFIG_TOML } from '../../src/config/default-config.js';
import { main } from '../../src/cli/main.js';
import type { CliIo } from '../../src/cli/io.js';

const run = promisify(execFile);
const BIN = join(import.meta.dirname, '..', '..', 'src', 'cli', 'bin.ts');
/** `--import tsx` resolves from the working directory; the tests run the CLI from a temp dir. */
const TSX = import.meta.resolve('tsx');

async function cli(args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', TSX, BIN, ...args], { cwd, env: { ...process.env, MIDIMON_SOCKET: join(cwd, 'none.sock') } });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

function captureIo(cwd: string, env: Record<string, string> = {}): CliIo & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, stdout: (t) => void out.push(t), stderr: (t) => void err.push(t), env, cwd };
}

test('midimon config check FILE: exit 0 for a valid file, 1 with every issue as file:line:col for an invalid one', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'midimon-cli-'));
  try {
    await writeFile(join(dir, 'good.toml'), DEFAULT_CONFIG_TOML);
    const good = await cli(['config', 'check', 'good.toml'], dir);
    assert.equal(good.code, 0);
    assert.equal(good.stdout, `${join(dir, 'good.toml')}: OK (1 mode, 0 routes, 0 plugins)\n`);

    await writeFile(join(dir, 'bad.toml'), '[[modes]]\nname = "A"\n[devices.display]\nheight = 48\nfoo = 1\n');
    const bad = await cli(['config', 'check', 'bad.toml'], dir);
    assert.equal(bad.code, 1);
    const file = join(dir, 'bad.toml');
    assert.equal(bad.stdout, `${file}:4:1: devices.display.height: expected one of 64, 32, found integer 48\n${file}:5:1: devices.display.foo: unknown key 'foo' (allowed here: controller, width, height, bus, address, rotation, brightness, dim_after_s, screensaver)\n`);
    assert.match(bad.stderr, /2 problems; the running box keeps its current config/);

    await writeFile(join(dir, 'syntax.toml'), '[[modes]]\nname = "A\n');
    const syntax = await cli(['config', 'check', 'syntax.toml'], dir);
    assert.equal(syntax.code, 1);
    assert.match(syntax.stdout, new RegExp(`^${join(dir, 'syntax.toml').replace(/[.]/g, '\\.')}:2:\\d+: TOML syntax error: `));

    const missing = await cli(['config', 'check', 'nope.toml'], dir);
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr, `midimon config check: cannot read ${join(dir, 'nope.toml')}: no such file\n`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('config check --json, schema, show --file, path', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'midimon-cli-'));
  try {
    const file = join(dir, 'c.toml');
    await writeFile(file, '[[modes]]\nname = "A"\n[menu]\ntimeout_s = -2\n');
    let io = captureIo(dir);
    assert.equal(await main(['config', 'check', '--json', file], io), 1);
    const json = JSON.parse(io.out.join('')) as { ok: boolean; kind: string; issues: Array<{ path: string; line: number; expected: string; found: string }> };
    assert.deepEqual(
      { ok: json.ok, kind: json.kind, issue: json.issues.map((i) => [i.path, i.line, i.expected, i.found]) },
      { ok: false, kind: 'config_invalid', issue: [['menu.timeout_s', 4, 'a value >= 0', 'integer -2']] },
    );

    io = captureIo(dir);
    assert.equal(await main(['config', 'schema'], io), 0);
    const schema = JSON.parse(io.out.join('')) as { properties: Record<string, unknown>; additionalProperties: boolean };
    assert.equal(schema.additionalProperties, false);
    assert.ok('devices' in schema.properties && 'modes' in schema.properties && 'plugins' in schema.properties);

    await writeFile(file, '[[modes]]\nname = "A"\n');
    io = captureIo(dir, { MIDIMON_SOCKET: join(dir, 'none.sock') });
    assert.equal(await main(['config', 'show', '--file', '--config', file, '--json'], io), 0);
    const shown = JSON.parse(io.out.join('')) as { devices: { display: { address: number } }; menu: { timeout_s: number } };
    assert.equal(shown.devices.display.address, 0x3c);
    assert.equal(shown.menu.timeout_s, 30);

    io = captureIo(dir, { MIDIMON_SOCKET: join(dir, 'none.sock') });
    assert.equal(await main(['config', 'show', '--config', file], io), 0, 'no service: falls back to the file');
    assert.match(io.err.join(''), /service not running; showing/);
    assert.match(io.out.join(''), /\[devices\.display\]\ncontroller = "ssd1306"/);

    io = captureIo(dir, { MIDIMON_SOCKET: join(dir, 'none.sock'), MIDIMON_CONFIG: file });
    assert.equal(await main(['config', 'path'], io), 0);
    assert.equal(io.out.join(''), `${file}\n`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
