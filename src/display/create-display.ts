import type { Logger } from '../log.js';
import { FakeI2cBus } from './fake-i2c-bus.js';
import { openI2cTransport, type I2cTransport } from './i2c-transport.js';
import { Sh1106Display } from './sh1106-display.js';
import { Ssd1306Display } from './ssd1306-display.js';
import type { OledController, OledDisplay, Rotation } from './oled-display.js';

export interface OledConfig {
  readonly controller: OledController;
  /** /dev/i2c-N. Default 1 (the header pins 3/5). */
  readonly bus?: number;
  readonly address?: number;
  readonly height?: 64 | 32;
  readonly rotation?: Rotation;
  readonly contrast?: number;
}

export interface CreatedDisplay {
  readonly display: OledDisplay;
  /** Set in simulation: the decoded panel, for the simulated box and tests. */
  readonly fakeBus?: FakeI2cBus;
  /** On a box (not simulating): why the bus could not be opened (the caller reports it). */
  readonly unavailable?: string;
}

/**
 * Opens the configured bus, or, when simulating or when the bus cannot be
 * opened (no i2c-bus addon, no /dev/i2c-N, permission denied), drives the
 * same driver over a decoding FakeI2cBus; off simulation `unavailable` says
 * why. Whether a panel answers is decided by DisplayController.start() (the
 * probe write).
 */
export async function createOledDisplay(
  config: OledConfig,
  opts: { readonly log: Logger; readonly simulate?: boolean; readonly openBus?: (bus: number) => Promise<I2cTransport> },
): Promise<CreatedDisplay> {
  const make = (bus: I2cTransport) => {
    const o = { address: config.address ?? 0x3c, height: config.height ?? 64, rotation: config.rotation ?? 0, ...(config.contrast === undefined ? {} : { contrast: config.contrast }) };
    return config.controller === 'sh1106' ? new Sh1106Display(bus, o) : new Ssd1306Display(bus, o);
  };
  const fakeBus = () => new FakeI2cBus({ controller: config.controller, height: config.height ?? 64, address: config.address ?? 0x3c });
  if (opts.simulate !== true) {
    try {
      return { display: make(await (opts.openBus ?? openI2cTransport)(config.bus ?? 1)) };
    } catch (err) {
      // Still rendered (screenshots work), but reported: a box never quietly runs on a fake panel.
      const bus = fakeBus();
      return { display: make(bus), fakeBus: bus, unavailable: (err as Error).message };
    }
  }
  const bus = fakeBus();
  return { display: make(bus), fakeBus: bus };
}
