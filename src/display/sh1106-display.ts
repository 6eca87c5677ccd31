import type { I2cTransport } from './i2c-transport.js';
import type { OledOptions } from './oled-display.js';
import { PagedOledDisplay, type ControllerProfile } from './paged-oled-display.js';

/** SH1106 RAM is 132 columns wide; 128-pixel panels show columns 2..129. */
export const SH1106_COLUMN_OFFSET = 2;

/** The SH1106 has page addressing only: 0xB0|page, then the column as two nibbles. */
export const SH1106_PROFILE: ControllerProfile = {
  name: 'sh1106',
  initCommands: (height, rotation, contrast) => [
    0xae,
    0xd5, 0x80,
    0xa8, height - 1,
    0xd3, 0x00,
    0x40,
    0xad, 0x8b, // DC-DC converter on
    rotation === 180 ? 0xa0 : 0xa1,
    rotation === 180 ? 0xc0 : 0xc8,
    0xda, height === 64 ? 0x12 : 0x02,
    0x81, contrast,
    0xd9, 0x22,
    0xdb, 0x35,
    0xa4,
    0xa6,
  ],
  addressSpan: (page, c0) => {
    const col = c0 + SH1106_COLUMN_OFFSET;
    return [0xb0 | page, 0x00 | (col & 0x0f), 0x10 | (col >> 4)];
  },
};

export class Sh1106Display extends PagedOledDisplay {
  constructor(bus: I2cTransport, opts: OledOptions = {}) {
    super(SH1106_PROFILE, bus, opts);
  }
}
