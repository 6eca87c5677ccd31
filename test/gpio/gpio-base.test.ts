import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { detectGpioChip, sysfsGpioNumber } from '../../src/gpio/gpio-base.js';
import { isMidimonError } from '../../src/errors.js';

const tree = (name: string) => fileURLToPath(new URL(`../fixtures/sysfs/${name}/class/gpio`, import.meta.url));

test('Pi 4 on kernel 6.6: pinctrl-bcm2711 at base 512', async () => {
  const chip = await detectGpioChip(tree('pi4-kernel-6.6'));
  assert.equal(chip.label, 'pinctrl-bcm2711');
  assert.equal(sysfsGpioNumber(chip, 17), 529);
  assert.equal(sysfsGpioNumber(chip, 27), 539);
});

test('Pi 5: picks pinctrl-rp1 (base 571), not the first brcmstb chip', async () => {
  const chip = await detectGpioChip(tree('pi5-kernel-6.6'));
  assert.equal(chip.label, 'pinctrl-rp1');
  assert.equal(sysfsGpioNumber(chip, 17), 588);
});

test('older kernel: pinctrl-bcm2835 at base 0', async () => {
  const chip = await detectGpioChip(tree('pi3-kernel-5.15'));
  assert.equal(chip.label, 'pinctrl-bcm2835');
  assert.equal(sysfsGpioNumber(chip, 17), 17);
});

test('a tree without a pinctrl chip is refused as device_unavailable', async () => {
  await assert.rejects(detectGpioChip(tree('no-pi')), (e) => isMidimonError(e, 'device_unavailable'));
  await assert.rejects(detectGpioChip(tree('does-not-exist')), (e) => isMidimonError(e, 'device_unavailable'));
});

test('a pin outside the chip is a config error', async () => {
  const chip = await detectGpioChip(tree('pi5-kernel-6.6'));
  assert.throws(() => sysfsGpioNumber(chip, 54), (e) => isMidimonError(e, 'config_invalid'));
  assert.throws(() => sysfsGpioNumber(chip, -1), (e) => isMidimonError(e, 'config_invalid'));
});
