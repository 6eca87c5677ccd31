import type { I2cTransport } from './i2c-transport.js';
import type { OledOptions } from './oled-display.js';
import { PagedOledDisplay, type ControllerProfile } from './paged-oled-display.js';

/** Horizontal addressing with column (0x21) and page (0x22) windows: one span = one command + data. */
export const SSD1306_PROFILE: ControllerProfile = {
  name: 'ssd1306',
  initCommands: (height, rotation, contrast) => [
    0xae,
    0xd5, 0x80, // clock divide / oscillator
    0xa8, height - 1, // multiplex ratio
    0xd3, 0x00, // display offset
    0x40, // start line 0
    0x8d, 0x14, // charge pump on (internal VCC)
    0x20, 0x00, // horizontal addressing mode
    rotation === 180 ? 0xa0 : 0xa1, // segment remap
    rotation === 180 ? 0xc0 : 0xc8, // COM scan direction
    0xda, height === 64 ? 0x12 : 0x02, // COM pins
    0x81, contrast,
    0xd9, 0xf1, // pre-charge
    0xdb, 0x40, // VCOMH
    0xa4, // display follows RAM
    0xa6, // not inverted
  ],
  addressSpan: (page, c0, c1) => [0x21, c0, c1, 0x22, page, page],
};

export class Ssd1306Display extends PagedOledDisplay {
  constructor(bus: I2cTransport, opts: OledOptions = {}) {
    super(SSD1306_PROFILE, bus, opts);
  }
}
