// The hardware tests' own rules, on fakes: on a Pi a configured device that does not answer
// fails (never "skipped"), skips state their reason, and the jumper test catches a missing pull-up.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import displayTests from '../../hw-tests/display.hw.js';
import footswitchTests, { pressTest, type JumperLine } from '../../hw-tests/footswitch.hw.js';
import midiTests from '../../hw-tests/midi.hw.js';
import { readPiModel, type HwContext } from '../../hw-tests/hw-test.js';
import { validateConfigText } from '../../src/config/load.js';
import type { GpioLine } from '../../src/gpio/onoff-footswitches.js';
import type { BoxConfig } from '../../src/config/schema.js';

const PI_SYSFS = fileURLToPath(new URL('../fixtures/sysfs/pi4-kernel-6.6/class/gpio', import.meta.url));

async function config(toml: string): Promise<BoxConfig> {
  const r = await validateConfigText(`version = 1\n${toml}\n[[modes]]\nname = "Live"\n`, 'hw.toml');
  assert.ok(r.ok, JSON.stringify(r));
  return r.config;
}

function ctx(over: Partial<HwContext>): HwContext {
  return { env: {}, say: () => undefined, interactive: false, config: null, piModel: 'Raspberry Pi 4 Model B Rev 1.5', ...over };
}

test('a configured OLED that cannot be reached fails on a Pi, and is skipped with the reason elsewhere', async () => {
  const cfg = await config('[devices.display]\ncontroller = "sh1106"\nbus = 9\n');
  const probe = displayTests.find((t) => t.name.startsWith('display: probe'));
  assert.ok(probe);
  const onPi = await probe.run(ctx({ config: cfg }));
  assert.deepEqual(onPi, { status: 'failed', reason: 'the OLED (sh1106) is configured but there is no /dev/i2c-9 (enable I2C: sudo raspi-config nonint do_i2c 0, then reboot)' });
  const laptop = await probe.run(ctx({ config: cfg, piModel: null }));
  assert.equal(laptop.status, 'skipped');
  assert.match(laptop.status === 'skipped' ? laptop.reason : '', /^not a Raspberry Pi \(there is no \/dev\/i2c-9/);
  const none = await probe.run(ctx({ config: await config('[devices.display]\ncontroller = "none"\n') }));
  assert.deepEqual(none, { status: 'skipped', reason: 'no OLED configured' });
});

test('a configured MIDI controller that is missing fails on a Pi; no sequencer fails too', async () => {
  const cfg = await config('[devices.midi]\ninputs = [{ name = "Keystation" }]\n');
  const list = midiTests(ctx({ config: cfg }));
  assert.ok(list.some((t) => t.name === 'midi: configured controller "Keystation" is connected and delivers messages'));
  // This machine has no /dev/snd/seq: on a Pi that is a failure, not a skip.
  const seq = list[0];
  assert.ok(seq);
  const r = await seq.run(ctx({ config: cfg }));
  assert.equal(r.status, 'failed');
  assert.match(r.status === 'failed' ? r.reason : '', /the ALSA sequencer is configured but there is no \/dev\/snd\/seq/);
});

test('no footswitches configured is one stated skip; the Pi model comes from the device tree', async () => {
  const list = footswitchTests({ env: {}, config: await config('') });
  assert.equal(list.length, 1);
  assert.deepEqual(await list[0]?.run(ctx({})), { status: 'skipped', reason: 'no footswitches configured' });
  const dir = mkdtempSync(join(tmpdir(), 'midimon-model-'));
  try {
    writeFileSync(join(dir, 'model'), 'Raspberry Pi 5 Model B Rev 1.0\0');
    assert.equal(readPiModel({ MIDIMON_HW_MODEL_FILE: join(dir, 'model') }), 'Raspberry Pi 5 Model B Rev 1.0');
    writeFileSync(join(dir, 'model'), 'QEMU Virtual Machine\0');
    assert.equal(readPiModel({ MIDIMON_HW_MODEL_FILE: join(dir, 'model') }), null);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** A switch input wired to a jumper output: low while driven, else whatever the pull-up gives. */
function wire(pullUp: boolean) {
  let driven = false;
  let watcher: ((err: Error | null | undefined, v: 0 | 1) => void) | undefined;
  // Active-low switch: onoff reports 1 (pressed) when the line is low.
  const pressed = (): 0 | 1 => (driven || !pullUp ? 1 : 0);
  const notify = () => watcher?.(null, pressed());
  const line: GpioLine = { readSync: pressed, watch: (cb) => void (watcher = cb), unwatchAll: () => (watcher = undefined), unexport: () => undefined };
  const jumper: JumperLine = {
    pressLow: () => ((driven = true), notify()),
    float: () => ((driven = false), notify()),
    release: () => undefined,
  };
  return { gpioFactory: () => line, openJumper: async () => jumper };
}

test('the jumper test passes with the pull-up and fails without it (release by letting go, not by driving high)', async () => {
  const env = { MIDIMON_SYSFS_GPIO: PI_SYSFS, MIDIMON_HW_JUMPER: '17:22' };
  const withPull = await pressTest(ctx({ env }), 'left', 17, { ...wire(true), pinctrl: async () => null });
  assert.equal(withPull.status, 'passed', JSON.stringify(withPull));
  const noPull = await pressTest(ctx({ env }), 'left', 17, { ...wire(false), pinctrl: async () => null });
  assert.deepEqual(noPull, { status: 'failed', reason: 'BCM 17 stayed low after the jumper let go: no pull-up (gpio=17=ip,pu in config.txt, reboot)' });
  // Where pinctrl exists, the firmware's pull setting is read directly.
  const pinctrl = await pressTest(ctx({ env }), 'left', 17, { ...wire(true), pinctrl: async () => '17: ip pd | lo // GPIO17 = input' });
  assert.equal(pinctrl.status, 'failed');
  // No person, no jumper: a stated skip that still reports the pull checked.
  const alone = await pressTest(ctx({ env: { MIDIMON_SYSFS_GPIO: PI_SYSFS } }), 'left', 17, { pinctrl: async () => '17: ip pu | hi // GPIO17 = input' });
  assert.deepEqual(alone, { status: 'skipped', reason: 'BCM 17 needs a person to press it (run in a terminal) or MIDIMON_HW_JUMPER=17:<output pin>; pull-up checked: 17: ip pu | hi // GPIO17 = input' });
  // sysfs GPIO absent on a Pi is a failure.
  const absent = await pressTest(ctx({ env: { MIDIMON_SYSFS_GPIO: '/nonexistent/gpio' } }), 'left', 17);
  assert.equal(absent.status, 'failed');
});
