import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PNG } from 'pngjs';
import { DisplayController } from '../../src/display/display-controller.js';
import { FakeI2cBus } from '../../src/display/fake-i2c-bus.js';
import { Ssd1306Display } from '../../src/display/ssd1306-display.js';
import { renderStatus } from '../../src/display/screens/status-screen.js';
import { renderMenu } from '../../src/display/screens/menu-screen.js';
import { ManualScheduler } from '../../src/gpio/manual-scheduler.js';
import type { StatusView } from '../../src/display/view-models.js';
import type { MenuView } from '../../src/menu/menu-view.js';
import { silentLogger } from '../../src/log.js';

const status: StatusView = { mode: { index: 1, name: 'Intro', count: 3 }, devices: [], plugins: [] };

function setup(opts: { address?: number; dimAfterMs?: number; screensaverAfterMs?: number } = {}) {
  const bus = new FakeI2cBus({ controller: 'ssd1306', height: 64 });
  const timers = new ManualScheduler();
  const warnings: string[] = [];
  const log = silentLogger();
  log.warn = ((_o: unknown, msg: string) => { warnings.push(msg); }) as typeof log.warn;
  const ctl = new DisplayController({
    display: new Ssd1306Display(bus, { address: opts.address ?? 0x3c }),
    log,
    timers,
    brightness: 200,
    dimBrightness: 5,
    dimAfterMs: opts.dimAfterMs ?? 10_000,
    screensaverAfterMs: opts.screensaverAfterMs ?? 0,
    screensaverStepMs: 1000,
  });
  return { bus, timers, ctl, warnings };
}

test('status and menu views reach the panel; closing the menu returns to status', async () => {
  const { bus, ctl } = setup();
  await ctl.start();
  ctl.setStatus(status);
  await ctl.settled();
  assert.ok(bus.panel().equals(renderStatus(status)));
  const menu: MenuView = { kind: 'list', title: 'Menu', items: [{ label: 'Modes' }], selected: 0 };
  ctl.setMenu(menu);
  await ctl.settled();
  assert.ok(bus.panel().equals(renderMenu(menu)));
  ctl.setMenu(null);
  await ctl.settled();
  assert.ok(bus.panel().equals(renderStatus(status)));
  await ctl.stop();
  assert.equal(bus.displayOn, false);
});

test('a burst of updates is coalesced into at most two frames, ending on the newest view', async () => {
  const { bus, ctl } = setup();
  await ctl.start();
  ctl.setStatus(status);
  await ctl.settled();
  const before = ctl.framesSent;
  let last = status;
  for (let i = 0; i < 200; i++) {
    last = { ...status, lastTrigger: `note ${i}` };
    ctl.setStatus(last);
  }
  await ctl.settled();
  assert.ok(ctl.framesSent - before <= 2, `sent ${ctl.framesSent - before} frames`);
  assert.ok(bus.panel().equals(renderStatus(last)));
  await ctl.stop();
});

test('dims after idle, wakes to full brightness, then the screen saver moves the mode label', async () => {
  const { bus, ctl, timers } = setup({ dimAfterMs: 10_000, screensaverAfterMs: 20_000 });
  await ctl.start();
  ctl.setStatus(status);
  await ctl.settled();
  assert.equal(bus.contrast, 200);
  timers.advance(9_999);
  await ctl.settled();
  assert.equal(ctl.dimmed, false);
  timers.advance(1);
  await ctl.settled();
  assert.equal(bus.contrast, 5);
  ctl.wake();
  await ctl.settled();
  assert.equal(bus.contrast, 200);
  timers.advance(20_000);
  await ctl.settled();
  assert.equal(ctl.screensaverActive, true);
  const a = bus.panel();
  assert.ok(!a.equals(renderStatus(status)));
  timers.advance(1000);
  await ctl.settled();
  assert.ok(!bus.panel().equals(a), 'the screen saver moved');
  ctl.wake();
  await ctl.settled();
  assert.ok(bus.panel().equals(renderStatus(status)));
  await ctl.stop();
});

test('screen saver configured at the dim time starts when dimming', async () => {
  const { ctl, timers } = setup({ dimAfterMs: 5_000, screensaverAfterMs: 5_000 });
  await ctl.start();
  ctl.setStatus(status);
  timers.advance(5_000);
  await ctl.settled();
  assert.equal(ctl.dimmed, true);
  assert.equal(ctl.screensaverActive, true);
  await ctl.stop();
});

test('a pulled cable is logged once; when it is back the panel is re-initialised and redrawn', async () => {
  const { bus, ctl, timers, warnings } = setup({ dimAfterMs: 0 });
  await ctl.start();
  ctl.setStatus(status);
  await ctl.settled();
  bus.connected = false;
  for (let i = 0; i < 5; i++) {
    ctl.setStatus({ ...status, lastTrigger: `n${i}` });
    await ctl.settled();
  }
  timers.advance(5000);
  await ctl.settled();
  assert.equal(warnings.length, 1, 'one warning, not one per frame');
  assert.equal(bus.displayOn, false);
  bus.connected = true;
  timers.advance(5000);
  await ctl.settled();
  assert.equal(bus.displayOn, true);
  assert.equal(bus.contrast, 200);
  assert.ok(bus.panel().equals(renderStatus({ ...status, lastTrigger: 'n4' })));
  await ctl.stop();
});

test('without an OLED: one log line, frames still rendered for screenshots', async () => {
  const { ctl, warnings } = setup({ address: 0x3d });
  await ctl.start();
  assert.equal(ctl.hasPanel, false);
  assert.equal(warnings.length, 1);
  ctl.setStatus(status);
  await ctl.settled();
  const png = PNG.sync.read(ctl.snapshotPng({ scale: 4 }));
  assert.equal(png.width, 512);
  assert.equal(png.height, 256);
  assert.ok(ctl.framebuffer().equals(renderStatus(status)));
  await ctl.stop();
});

test('createOledDisplay in simulation drives the real driver over the decoding fake bus', async () => {
  const { createOledDisplay } = await import('../../src/display/create-display.js');
  const { display, fakeBus } = await createOledDisplay({ controller: 'sh1106', height: 32, rotation: 180 }, { log: silentLogger(), simulate: true });
  assert.ok(fakeBus !== undefined);
  const ctl = new DisplayController({ display, log: silentLogger(), timers: new ManualScheduler() });
  await ctl.start();
  ctl.setStatus(status);
  await ctl.settled();
  assert.ok(fakeBus.panel().equals(renderStatus(status, 128, 32).rotated180()));
  await ctl.stop();
});
