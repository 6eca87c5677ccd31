// A plugin installed from a USB stick through the OLED menu, against the real
// daemon in simulation, through public surfaces only: a folder offered as a
// stick by the documented seam (MIDIMON_MEDIA_ROOT), footswitch gestures from
// `midimon send`, the OLED read back with `screenshot` over the control
// socket, and the result checked with the CLI.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packPlugin } from '../../src/cli/commands/plugin-pack.js';
import { ControlClient } from '../../src/control/client.js';
import { midimonIn, until } from './helpers/cli.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));
let dir = '';
let child: ChildProcess | undefined;
let stderr = '';

after(async () => {
  if (child !== undefined && child.exitCode === null) child.kill('SIGKILL');
  if (dir !== '') await rm(dir, { recursive: true, force: true });
});

const midimon = (...argv: string[]) => midimonIn(dir, argv);

const waitFor = <T>(what: string, probe: () => Promise<T | undefined> | T | undefined): Promise<T> => until(what, probe, { tries: 600, detail: () => stderr.slice(-2000) });

test('a folder offered as a stick installs through the OLED menu of the running daemon', async () => {
  dir = await mkdtemp(join(tmpdir(), 'midimon-e2e-usb-'));
  const config = join(dir, 'config.toml');
  await writeFile(config, (await readFile(join(repo, 'docs/example-config.toml'), 'utf8')).replaceAll('"../plugins/', `"${repo}plugins/`));
  // The stick is built beside the media root and moved in whole, as a mount appears.
  const src = join(dir, 'as-src');
  await cp(join(repo, 'plugins/as-template'), src, { recursive: true });
  const packed = await packPlugin(src, { out: join(dir, 'build', 'stick') });
  const media = join(dir, 'media');
  await mkdir(media);

  child = spawn(process.execPath, [join(repo, 'bin/midimon-daemon.js'), '--simulate', '--config', config, '--socket', join(dir, 'control.sock')], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, MIDIMON_LOG_LEVEL: 'warn', MIDIMON_MEDIA_ROOT: media, MIDIMON_STATE_DIR: join(dir, 'state') },
  });
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout?.resume();
  await waitFor('the control socket', async () => ((await midimon('status')).code === 0 ? true : undefined));
  // Generous: the plugin process boots first (seconds under tsx on a loaded machine).
  await until('plugins loaded', async () => ((await midimon('plugin', 'list')).out.match(/: loaded/g)?.length === 2 ? true : undefined), { tries: 2400 });

  await rename(join(dir, 'build', 'stick'), join(media, 'stick'));
  const offer = await waitFor('the package offered', async () => {
    const r = await midimon('plugin', 'install');
    return r.out.includes(packed.manifest.name) ? r.out : undefined;
  });
  assert.match(offer, new RegExp(`${packed.manifest.name} ${packed.manifest.version}`));

  // The example config's menu controls: a double press of the right switch opens the menu, left steps, right selects.
  const client = new ControlClient({ socketPath: join(dir, 'control.sock') });
  const screen = async () => (await client.request({ cmd: 'screenshot' })).png_base64;
  const steps: Array<[string, string, string]> = [
    ['right', 'double', 'open the menu'],
    ['left', 'press', 'cursor to Plugins'],
    ['right', 'press', 'open Plugins'],
    ['left', 'press', 'past setlist'],
    ['left', 'press', 'past chord, onto Install from USB'],
    ['right', 'press', 'open the stick'],
    ['right', 'press', 'pick the package: the dialog starts on Cancel'],
    ['left', 'press', 'onto Install'],
  ];
  let shown = await screen();
  for (const [sw, gesture, what] of steps) {
    const r = await midimon('send', sw, gesture);
    assert.equal(r.code, 0, r.err);
    // Every step shows on the OLED.
    const now = await screen();
    assert.notEqual(now, shown, `the OLED did not change for ${sw} ${gesture} (${what})`);
    shown = now;
  }
  assert.equal((await midimon('send', 'right', 'press')).code, 0); // Install

  const listed = await waitFor('the installed plugin loaded', async () => {
    const r = await midimon('plugin', 'list');
    return new RegExp(`^${packed.manifest.name} ${packed.manifest.version}: loaded`, 'm').test(r.out) ? r.out : undefined;
  });
  assert.match(listed, /^setlist .*: loaded/m);
  // Installed is news, not an error.
  const status = JSON.parse((await midimon('status', '--json')).out) as { recent_errors: Array<{ kind: string; message: string }>; usb: { sticks: Array<{ state: string; packages: number }> } };
  assert.deepEqual(status.recent_errors, []);
  assert.deepEqual(status.usb.sticks.map((s) => [s.state, s.packages]), [['scanned', 1]]);

  const exited = new Promise<number | null>((resolve) => child?.once('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  assert.equal(await exited, 0, stderr);
  assert.doesNotMatch(stderr, /uncaught|unhandled/i);
});
