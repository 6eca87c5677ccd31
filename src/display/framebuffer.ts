/**
 * A 1-bit framebuffer stored the way SSD1306/SH1106 GDDRAM is: one byte per
 * column per 8-row page, bit 0 = top row of the page. Drivers send page
 * slices without conversion and diff pages with a byte compare.
 */
export class Framebuffer {
  readonly width: number;
  readonly height: number;
  readonly pages: number;
  /** page * width + x; bit (y % 8). */
  readonly bytes: Uint8Array;

  constructor(width: number, height: number, bytes?: Uint8Array) {
    if (height % 8 !== 0 || width <= 0 || height <= 0) throw new RangeError(`unsupported framebuffer ${width}x${height}`);
    this.width = width;
    this.height = height;
    this.pages = height / 8;
    this.bytes = bytes ?? new Uint8Array(width * this.pages);
  }

  clear(on = false): void {
    this.bytes.fill(on ? 0xff : 0);
  }

  get(x: number, y: number): boolean {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return false;
    return ((this.bytes[(y >> 3) * this.width + x] as number) & (1 << (y & 7))) !== 0;
  }

  set(x: number, y: number, on = true): void {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    const i = (y >> 3) * this.width + x;
    const bit = 1 << (y & 7);
    this.bytes[i] = on ? (this.bytes[i] as number) | bit : (this.bytes[i] as number) & ~bit;
  }

  fillRect(x: number, y: number, w: number, h: number, on = true): void {
    for (let yy = Math.max(0, y); yy < Math.min(this.height, y + h); yy++) {
      for (let xx = Math.max(0, x); xx < Math.min(this.width, x + w); xx++) this.set(xx, yy, on);
    }
  }

  invertRect(x: number, y: number, w: number, h: number): void {
    for (let yy = Math.max(0, y); yy < Math.min(this.height, y + h); yy++) {
      for (let xx = Math.max(0, x); xx < Math.min(this.width, x + w); xx++) this.set(xx, yy, !this.get(xx, yy));
    }
  }

  hline(x: number, y: number, w: number, on = true): void {
    this.fillRect(x, y, w, 1, on);
  }

  rect(x: number, y: number, w: number, h: number, on = true): void {
    this.fillRect(x, y, w, 1, on);
    this.fillRect(x, y + h - 1, w, 1, on);
    this.fillRect(x, y, 1, h, on);
    this.fillRect(x + w - 1, y, 1, h, on);
  }

  /** The bytes of one page (a view, not a copy). */
  page(p: number): Uint8Array {
    return this.bytes.subarray(p * this.width, (p + 1) * this.width);
  }

  clone(): Framebuffer {
    return new Framebuffer(this.width, this.height, this.bytes.slice());
  }

  equals(other: Framebuffer): boolean {
    if (other.width !== this.width || other.height !== this.height) return false;
    for (let i = 0; i < this.bytes.length; i++) if (this.bytes[i] !== other.bytes[i]) return false;
    return true;
  }

  /** The same image turned 180 degrees (what a panel mounted upside down must be sent). */
  rotated180(): Framebuffer {
    const out = new Framebuffer(this.width, this.height);
    for (let y = 0; y < this.height; y++) for (let x = 0; x < this.width; x++) if (this.get(x, y)) out.set(this.width - 1 - x, this.height - 1 - y);
    return out;
  }

  /** ASCII art ('#' on, '.' off), for test failure messages. */
  toAscii(): string {
    const rows: string[] = [];
    for (let y = 0; y < this.height; y++) {
      let r = '';
      for (let x = 0; x < this.width; x++) r += this.get(x, y) ? '#' : '.';
      rows.push(r);
    }
    return rows.join('\n');
  }
}
