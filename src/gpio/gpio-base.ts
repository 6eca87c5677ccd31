import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MidimonError } from '../errors.js';

/** The sysfs class directory; tests pass a fake tree from test/fixtures/sysfs/. */
export const DEFAULT_GPIO_SYSFS = '/sys/class/gpio';

export interface GpioChipInfo {
  readonly chip: string;
  readonly label: string;
  readonly base: number;
  readonly ngpio: number;
}

/**
 * Labels of the chip that owns the 40-pin header: bcm2835 (Pi 1-3, Zero),
 * bcm2711 (Pi 4, 400, CM4), rp1 (Pi 5, whose header GPIOs sit behind RP1),
 * bcm2712 (future-proofing for header pins on the SoC). Best match first.
 */
const HEADER_CHIP_LABELS: readonly RegExp[] = [/^pinctrl-rp1$/, /^pinctrl-bcm2711$/, /^pinctrl-bcm2835$/, /^pinctrl-bcm2712$/, /^pinctrl-/];

export async function listGpioChips(sysfsGpio: string = DEFAULT_GPIO_SYSFS): Promise<GpioChipInfo[]> {
  let entries: string[];
  try {
    entries = await readdir(sysfsGpio);
  } catch (err) {
    throw new MidimonError('device_unavailable', `GPIO sysfs not found at ${sysfsGpio}`, { cause: err, details: { path: sysfsGpio } });
  }
  const chips: GpioChipInfo[] = [];
  for (const chip of entries.filter((e) => /^gpiochip\d+$/.test(e)).sort()) {
    const read = async (f: string) => (await readFile(join(sysfsGpio, chip, f), 'utf8')).trim();
    try {
      chips.push({ chip, label: await read('label'), base: Number(await read('base')), ngpio: Number(await read('ngpio')) });
    } catch {
      // A chip without readable attributes is not one we can use; skip it.
    }
  }
  return chips;
}

/** Finds the header chip. Since kernel 6.6 its base is 512, 571, ...: never assume 0. */
export async function detectGpioChip(sysfsGpio: string = DEFAULT_GPIO_SYSFS): Promise<GpioChipInfo> {
  const chips = await listGpioChips(sysfsGpio);
  for (const pattern of HEADER_CHIP_LABELS) {
    const hit = chips.find((c) => pattern.test(c.label) && Number.isInteger(c.base));
    if (hit !== undefined) return hit;
  }
  throw new MidimonError('device_unavailable', `no Raspberry Pi pinctrl gpiochip under ${sysfsGpio}`, {
    details: { path: sysfsGpio, labels: chips.map((c) => c.label) },
  });
}

/** BCM number -> sysfs GPIO number for the detected chip. */
export function sysfsGpioNumber(chip: GpioChipInfo, bcm: number): number {
  if (!Number.isInteger(bcm) || bcm < 0 || bcm >= chip.ngpio) {
    throw new MidimonError('config_invalid', `GPIO ${bcm} is not a pin of ${chip.label} (0..${chip.ngpio - 1})`, {
      details: { pin: bcm, chip: chip.label },
    });
  }
  return chip.base + bcm;
}
