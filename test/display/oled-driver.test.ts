import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeI2cBus } from '../../src/display/fake-i2c-bus.js';
import { Ssd1306Display } from '../../src/display/ssd1306-display.js';
import { Sh1106Display } from '../../src/display/sh1106-display.js';
import { renderStatus } from '../../src/display/screens/status-screen.js';
import { renderMenu } from '../../src/display/screens/menu-screen.js';
import type { OledController, Rotation } from '../../src/display/oled-display.js';
import type { Framebuffer } from '../../src/display/framebuffer.js';
import type { StatusView } from '../../src/display/view-models.js';
import { isMidimonError } from '../../src/errors.js';

const view: StatusView = {
  mode: { index: 2, name: 'Chorus', count: 5 },
  devices: [{ name: 'Launchkey', direction: 'in', connected: true }, { name: 'Synth', direction: 'out', connected: true }],
  lastTrigger: 'note 60 ch1',
  plugins: [{ name: 'arp', state: 'running' }],
  banner: { severity: 'warning', text: 'Synth reconnected' },
};

function make(controller: OledController, height: 64 | 32, rotation: Rotation, address = 0x3c) {
  const bus = new FakeI2cBus({ controller, height, address: 0x3c });
  const opts = { height, rotation, address };
  const display = controller === 'ssd1306' ? new Ssd1306Display(bus, opts) : new Sh1106Display(bus, opts);
  return { bus, display };
}

function assertSame(actual: Framebuffer, expected: Framebuffer, what: string): void {
  if (!actual.equals(expected)) assert.fail(`${what}: decoded panel differs\n--- panel\n${actual.toAscii()}\n--- expected\n${expected.toAscii()}`);
}

for (const controller of ['ssd1306', 'sh1106'] as const) {
  for (const height of [64, 32] as const) {
    for (const rotation of [0, 180] as const) {
      test(`${controller} ${128}x${height} rotation ${rotation}: decoded panel equals the framebuffer`, async () => {
        const { bus, display } = make(controller, height, rotation);
        await display.init();
        assert.equal(bus.displayOn, true);
        assert.deepEqual(bus.unknownCommands, [], 'driver sent only commands this controller knows');
        const fb = renderStatus(view, 128, height);
        assert.ok(fb.bytes.some((b) => b !== 0), 'the screen is not blank');
        await display.draw(fb);
        // Rotation 180 is for a panel mounted upside down: the glass shows the frame turned around.
        assertSame(bus.panel(), rotation === 0 ? fb : fb.rotated180(), `${controller} ${height} ${rotation}`);

        const menu = renderMenu({ kind: 'list', title: 'Menu', items: [{ label: 'Modes' }, { label: 'System' }], selected: 1 }, 128, height);
        await display.draw(menu);
        assertSame(bus.panel(), rotation === 0 ? menu : menu.rotated180(), 'second frame');
      });
    }
  }

  test(`${controller}: the second frame sends only the changed pages and column span`, async () => {
    const { bus, display } = make(controller, 64, 0);
    await display.init();
    const first = renderStatus(view);
    const full = await display.draw(first);
    assert.equal(full.pages, 8);
    const again = await display.draw(first);
    assert.deepEqual(again, { pages: 0, bytes: 0, writes: 0 }, 'an identical frame sends nothing');
    const second = first.clone();
    second.set(40, 20); // page 2
    second.set(41, 21);
    bus.resetCounters();
    const dirty = await display.draw(second);
    assert.equal(dirty.pages, 1);
    assert.equal(bus.bytesWritten, dirty.bytes);
    assert.ok(dirty.bytes < 12, `a two-column change costs a handful of bytes, not ${dirty.bytes}`);
    assert.ok(full.bytes > dirty.bytes * 20);
    assertSame(bus.panel(), second, 'after dirty update');
  });

  test(`${controller}: probing an empty address is device_unavailable`, async () => {
    const { display } = make(controller, 64, 0, 0x3d);
    await assert.rejects(display.init(), (e) => isMidimonError(e, 'device_unavailable'));
  });
}

test('contrast, power and close reach the panel', async () => {
  const { bus, display } = make('ssd1306', 64, 0);
  await display.init();
  await display.setContrast(10);
  assert.equal(bus.contrast, 10);
  await display.setPower(false);
  assert.equal(bus.displayOn, false);
  await display.setPower(true);
  await display.close();
  assert.equal(bus.displayOn, false);
  assert.equal(bus.closed, true);
});

test('a frame of the wrong size is rejected', async () => {
  const { display } = make('ssd1306', 64, 0);
  await display.init();
  await assert.rejects(display.draw(renderStatus(view, 128, 32)), (e) => isMidimonError(e, 'internal'));
});
