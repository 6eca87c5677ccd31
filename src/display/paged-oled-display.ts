import { MidimonError, toMidimonError } from '../errors.js';
import { Framebuffer } from './framebuffer.js';
import type { I2cTransport } from './i2c-transport.js';
import type { DrawStats, OledController, OledDisplay, OledOptions, Rotation } from './oled-display.js';

/** What differs between controllers: the init sequence and how a page span is addressed. */
export interface ControllerProfile {
  readonly name: OledController;
  initCommands(height: number, rotation: Rotation, contrast: number): number[];
  /** Commands that make the next data bytes land at columns c0..c1 of `page`. */
  addressSpan(page: number, c0: number, c1: number): number[];
}

const CMD = 0x00;
const DATA = 0x40;

/**
 * The shared driver: a shadow copy of what the panel shows, a per-page column
 * diff, and chunked asynchronous writes. Only one draw runs at a time (the
 * controller coalesces frames above this), so the shadow stays exact.
 */
export class PagedOledDisplay implements OledDisplay {
  readonly controller: OledController;
  readonly width: number;
  readonly height: number;
  readonly #bus: I2cTransport;
  readonly #profile: ControllerProfile;
  readonly #address: number;
  readonly #rotation: Rotation;
  readonly #contrast: number;
  readonly #chunk: number;
  #shadow: Framebuffer | undefined;
  #busy = false;

  constructor(profile: ControllerProfile, bus: I2cTransport, opts: OledOptions = {}) {
    this.controller = profile.name;
    this.#profile = profile;
    this.#bus = bus;
    this.width = opts.width ?? 128;
    this.height = opts.height ?? 64;
    this.#address = opts.address ?? 0x3c;
    this.#rotation = opts.rotation ?? 0;
    this.#contrast = opts.contrast ?? 0xcf;
    this.#chunk = Math.max(1, opts.chunkSize ?? 32);
  }

  async init(): Promise<void> {
    try {
      // The first write is the probe: opening the bus succeeds even with nothing attached.
      await this.#bus.write(this.#address, Uint8Array.of(CMD, 0xae));
    } catch (err) {
      throw new MidimonError('device_unavailable', `no ${this.controller} OLED answers at 0x${this.#address.toString(16)}`, {
        cause: err,
        details: { address: this.#address, controller: this.controller },
      });
    }
    await this.#commands(this.#profile.initCommands(this.height, this.#rotation, this.#contrast));
    this.#shadow = undefined;
    await this.draw(new Framebuffer(this.width, this.height));
    await this.#commands([0xaf]);
  }

  async draw(fb: Framebuffer): Promise<DrawStats> {
    if (fb.width !== this.width || fb.height !== this.height) {
      throw new MidimonError('internal', `frame ${fb.width}x${fb.height} does not fit a ${this.width}x${this.height} panel`);
    }
    if (this.#busy) throw new MidimonError('internal', 'OledDisplay.draw called while a frame is in flight');
    this.#busy = true;
    let bytes = 0;
    let writes = 0;
    let pages = 0;
    try {
      const prev = this.#shadow;
      const next = this.#shadow ?? new Framebuffer(this.width, this.height);
      for (let p = 0; p < fb.pages; p++) {
        const span = prev === undefined ? [0, this.width - 1] : changedSpan(prev.page(p), fb.page(p));
        if (span === undefined) continue;
        const [c0, c1] = span as [number, number];
        pages++;
        const cmd = [CMD, ...this.#profile.addressSpan(p, c0, c1)];
        await this.#write(Uint8Array.from(cmd));
        bytes += cmd.length;
        writes++;
        const src = fb.page(p);
        for (let c = c0; c <= c1; c += this.#chunk) {
          const end = Math.min(c1 + 1, c + this.#chunk);
          const buf = new Uint8Array(end - c + 1);
          buf[0] = DATA;
          buf.set(src.subarray(c, end), 1);
          await this.#write(buf);
          bytes += buf.length;
          writes++;
        }
        // Update the shadow per page, so a failed write later leaves only unsent pages dirty.
        next.page(p).set(src);
        this.#shadow = next;
      }
      if (prev === undefined) this.#shadow = fb.clone();
      return { pages, bytes, writes };
    } finally {
      this.#busy = false;
    }
  }

  async setContrast(value: number): Promise<void> {
    await this.#commands([0x81, Math.max(0, Math.min(255, Math.round(value)))]);
  }

  async setPower(on: boolean): Promise<void> {
    await this.#commands([on ? 0xaf : 0xae]);
  }

  async close(): Promise<void> {
    try {
      await this.#commands([0xae]);
    } finally {
      await this.#bus.close();
    }
  }

  async #commands(cmds: readonly number[]): Promise<void> {
    await this.#write(Uint8Array.from([CMD, ...cmds]));
  }

  async #write(bytes: Uint8Array): Promise<void> {
    try {
      await this.#bus.write(this.#address, bytes);
    } catch (err) {
      throw toMidimonError(err, 'device_io');
    }
  }
}

/** First and last differing column of a page, or undefined when equal. */
function changedSpan(a: Uint8Array, b: Uint8Array): [number, number] | undefined {
  let first = -1;
  for (let i = 0; i < b.length; i++) {
    if (a[i] !== b[i]) {
      first = i;
      break;
    }
  }
  if (first < 0) return undefined;
  let last = first;
  for (let i = b.length - 1; i > first; i--) {
    if (a[i] !== b[i]) {
      last = i;
      break;
    }
  }
  return [first, last];
}
