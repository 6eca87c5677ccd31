import { MidimonError } from '../errors.js';
import { Framebuffer } from './framebuffer.js';
import type { I2cTransport } from './i2c-transport.js';
import type { OledController } from './oled-display.js';

export interface FakeI2cBusOptions {
  readonly controller: OledController;
  readonly width?: number;
  readonly height?: number;
  /** The address a panel answers on; writes elsewhere fail like a NACK. Default 0x3C; null = nothing attached. */
  readonly address?: number | null;
  /** Simulated wire time per byte in microseconds (400 kHz I2C: ~22.5). 0 = resolve on the next microtask. */
  readonly usPerByte?: number;
}

/** Commands followed by argument bytes, per controller. */
const ARGS_SSD1306: Readonly<Record<number, number>> = { 0x20: 1, 0x21: 2, 0x22: 2, 0x81: 1, 0x8d: 1, 0xa8: 1, 0xd3: 1, 0xd5: 1, 0xd9: 1, 0xda: 1, 0xdb: 1, 0xa3: 2 };
const ARGS_SH1106: Readonly<Record<number, number>> = { 0x81: 1, 0xad: 1, 0xa8: 1, 0xd3: 1, 0xd5: 1, 0xd9: 1, 0xda: 1, 0xdb: 1 };

/**
 * A fake I2C bus with an SSD1306 or SH1106 on it that DECODES the command and
 * data stream into controller RAM, like the chip does. `panel()` is what the
 * glass shows (column offset, segment remap and COM scan applied), so tests
 * compare real driver output with the rendered framebuffer, and the simulated
 * box can screenshot what a real panel would show.
 */
export class FakeI2cBus implements I2cTransport {
  readonly controller: OledController;
  readonly width: number;
  readonly height: number;
  readonly #address: number | null;
  readonly #usPerByte: number;
  readonly #ramCols: number;
  readonly #ram: Uint8Array;
  #mode = 2; // both controllers reset into page addressing
  #col = 0;
  #page = 0;
  #colStart = 0;
  #colEnd = 127;
  #pageStart = 0;
  #pageEnd = 7;
  #pending: number[] = [];
  segRemap = false;
  comReverse = false;
  displayOn = false;
  contrast = 0x7f;
  bytesWritten = 0;
  writes = 0;
  readonly unknownCommands: number[] = [];
  closed = false;
  /** Set false to simulate a pulled cable: every write fails like a NACK, and the panel loses power (RAM and settings). */
  connected = true;

  constructor(opts: FakeI2cBusOptions) {
    this.controller = opts.controller;
    this.width = opts.width ?? 128;
    this.height = opts.height ?? 64;
    this.#address = opts.address === undefined ? 0x3c : opts.address;
    this.#usPerByte = opts.usPerByte ?? 0;
    this.#ramCols = opts.controller === 'sh1106' ? 132 : 128;
    this.#ram = new Uint8Array(this.#ramCols * 8);
  }

  async write(address: number, bytes: Uint8Array): Promise<void> {
    if (this.closed) throw new MidimonError('device_io', 'I2C bus closed');
    if (!this.connected) {
      this.#ram.fill(0);
      this.displayOn = false;
      this.segRemap = false;
      this.comReverse = false;
      this.#mode = 2;
      await Promise.resolve();
      throw new MidimonError('device_io', 'remote I/O error (panel disconnected)');
    }
    if (address !== this.#address) {
      await Promise.resolve();
      throw new MidimonError('device_io', `no ACK from 0x${address.toString(16)} (remote I/O error)`);
    }
    this.writes++;
    this.bytesWritten += bytes.length;
    this.#decode(bytes);
    const ms = (bytes.length * this.#usPerByte) / 1000;
    if (ms > 0) await new Promise((r) => setTimeout(r, ms));
    else await Promise.resolve();
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  /** The image on the glass, in viewer coordinates (panel mounted the usual way up). */
  panel(): Framebuffer {
    const fb = new Framebuffer(this.width, this.height);
    const off = this.controller === 'sh1106' ? 2 : 0;
    for (let y = 0; y < this.height; y++) {
      const row = this.comReverse ? y : this.height - 1 - y;
      for (let x = 0; x < this.width; x++) {
        const col = this.segRemap ? x + off : this.width - 1 - x + off;
        if (((this.#ram[(row >> 3) * this.#ramCols + col] as number) & (1 << (row & 7))) !== 0) fb.set(x, y);
      }
    }
    return fb;
  }

  resetCounters(): void {
    this.bytesWritten = 0;
    this.writes = 0;
  }

  #decode(bytes: Uint8Array): void {
    let i = 0;
    while (i < bytes.length) {
      const control = bytes[i++] as number;
      const isData = (control & 0x40) !== 0;
      const continuation = (control & 0x80) !== 0; // Co=1: one byte, then another control byte
      const end = continuation ? Math.min(i + 1, bytes.length) : bytes.length;
      for (; i < end; i++) {
        if (isData) this.#data(bytes[i] as number);
        else this.#command(bytes[i] as number);
      }
    }
  }

  #command(b: number): void {
    if (this.#pending.length > 0 || this.#argCount(b) > 0) {
      this.#pending.push(b);
      const need = this.#argCount(this.#pending[0] as number);
      if (this.#pending.length === need + 1) this.#apply(this.#pending.splice(0));
      return;
    }
    this.#apply([b]);
  }

  #argCount(op: number): number {
    return (this.controller === 'sh1106' ? ARGS_SH1106 : ARGS_SSD1306)[op] ?? 0;
  }

  #apply([op, a = 0, b = 0]: number[]): void {
    const sh = this.controller === 'sh1106';
    if (op === undefined) return;
    if (op <= 0x0f) this.#col = (this.#col & 0xf0) | op;
    else if (op <= 0x1f) this.#col = (this.#col & 0x0f) | ((op & 0x0f) << 4);
    else if (op === 0x20 && !sh) this.#mode = a & 3;
    else if (op === 0x21 && !sh) [this.#colStart, this.#colEnd, this.#col] = [a & 0x7f, b & 0x7f, a & 0x7f];
    else if (op === 0x22 && !sh) [this.#pageStart, this.#pageEnd, this.#page] = [a & 7, b & 7, a & 7];
    else if (op >= 0x30 && op <= 0x33 && sh) return; // pump voltage
    else if (op >= 0x40 && op <= 0x7f) return; // start line (always 0 here)
    else if (op === 0x81) this.contrast = a;
    else if (op === 0xa0 || op === 0xa1) this.segRemap = op === 0xa1;
    else if (op === 0xc0 || op === 0xc8) this.comReverse = op === 0xc8;
    else if (op === 0xae || op === 0xaf) this.displayOn = op === 0xaf;
    else if (op >= 0xb0 && op <= 0xb7) this.#page = op & 7;
    else if ([0xa4, 0xa6, 0xa8, 0xd3, 0xd5, 0xd9, 0xda, 0xdb, 0xe3].includes(op) || (op === 0x8d && !sh) || (op === 0xad && sh)) return;
    else this.unknownCommands.push(op);
  }

  #data(b: number): void {
    const pageMode = this.controller === 'sh1106' || this.#mode === 2;
    if (this.#col < this.#ramCols) this.#ram[this.#page * this.#ramCols + this.#col] = b;
    if (pageMode) {
      this.#col = (this.#col + 1) % this.#ramCols;
      return;
    }
    if (this.#mode === 0) {
      if (++this.#col > this.#colEnd) {
        this.#col = this.#colStart;
        if (++this.#page > this.#pageEnd) this.#page = this.#pageStart;
      }
    } else if (++this.#page > this.#pageEnd) {
      this.#page = this.#pageStart;
      if (++this.#col > this.#colEnd) this.#col = this.#colStart;
    }
  }
}
