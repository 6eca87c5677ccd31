import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { run } from '../../src/cli/commands/screenshot.js';
import type { CliIo } from '../../src/cli/io.js';
import { ControlServer } from '../../src/control/server.js';
import type { ControlHandlers } from '../../src/control/protocol.js';
import { DisplayController } from '../../src/display/display-controller.js';
import { renderDemo } from '../../src/display/demo-png.js';
import { DEMO_ERROR_STATUS } from '../../src/display/demo-views.js';
import type { Framebuffer } from '../../src/display/framebuffer.js';
import { MidimonError } from '../../src/errors.js';
import { silentLogger } from '../../src/log.js';

function io(cwd: string, env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const cli: CliIo = { stdout: (t) => out.push(t), stderr: (t) => err.push(t), env, cwd };
  return { cli, out, err };
}

/** Reads a PNG back at 1:1 by sampling the centre of each scaled pixel. */
function pngEquals(png: Buffer, fb: Framebuffer, scale: number): boolean {
  const img = PNG.sync.read(png);
  if (img.width !== fb.width * scale || img.height !== fb.height * scale) return false;
  for (let y = 0; y < fb.height; y++) {
    for (let x = 0; x < fb.width; x++) {
      const i = ((y * scale + (scale >> 1)) * img.width + x * scale + (scale >> 1)) * 4;
      if ((img.data[i] as number) > 128 !== fb.get(x, y)) return false;
    }
  }
  return true;
}

test('--simulate writes the demo screen as a PNG', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'midimon-shot-'));
  try {
    const { cli, out } = io(dir);
    assert.equal(await run(['menu.png', '--simulate', '--screen', 'menu', '--scale', '3'], cli), 0);
    assert.ok(pngEquals(await readFile(join(dir, 'menu.png')), renderDemo('menu'), 3));
    assert.match(out.join(''), /simulated/);
    assert.equal(await run(['x.png', '--simulate', '--screen', 'nope'], cli).catch((e: Error) => e.name), 'UsageError');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('asks the running service over the control socket for what the OLED shows', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'midimon-shot-'));
  const socketPath = join(dir, 'control.sock');
  const display = new DisplayController({ display: null, log: silentLogger() });
  await display.start();
  display.setStatus(DEMO_ERROR_STATUS);
  const unused = async (): Promise<never> => {
    throw new MidimonError('internal', 'unused in this test');
  };
  // The composition root's wiring of the screenshot request.
  const handlers: ControlHandlers = {
    status: unused, reload: unused, mode: unused, configShow: unused, configPath: unused,
    pluginList: unused, pluginEnable: unused, pluginDisable: unused, pluginGrant: unused, pluginRevoke: unused, pluginInstall: unused, tempo: unused, send: unused, devices: unused, monitor: () => () => undefined, panic: unused, setlist: unused, learn: unused,
    screenshot: async () => ({ width: display.width, height: display.height, png_base64: display.snapshotPng({ scale: 4 }).toString('base64') }),
  };
  const server = new ControlServer({ socketPath, handlers, log: silentLogger() });
  await server.start();
  try {
    const { cli, out } = io(dir);
    assert.equal(await run(['now.png', '--socket', socketPath], cli), 0);
    assert.match(out.join(''), /from the running box/);
    assert.ok(pngEquals(await readFile(join(dir, 'now.png')), renderDemo('error'), 4));
  } finally {
    await server.stop();
    await display.stop();
    await rm(dir, { recursive: true, force: true });
  }
});

test('without a service it says so and falls back to the demo render', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'midimon-shot-'));
  try {
    const { cli, err } = io(dir);
    assert.equal(await run(['s.png', '--socket', join(dir, 'none.sock')], cli), 0);
    assert.match(err.join(''), /not running/);
    assert.ok(pngEquals(await readFile(join(dir, 's.png')), renderDemo('status'), 4));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
