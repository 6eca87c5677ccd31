import { PNG } from 'pngjs';
import type { Framebuffer } from './framebuffer.js';

export interface PngOptions {
  /** Pixels per OLED pixel. Default 4 (128x64 -> 512x256). */
  readonly scale?: number;
  /** 'white' (white on black) or 'blue' (the common blue OLED look). Default 'white'. */
  readonly look?: 'white' | 'blue';
}

const LOOKS = { white: [235, 240, 245], blue: [90, 200, 255] } as const;

/** Encodes a framebuffer as a PNG, each OLED pixel a solid square (a grid gap made inverted text harder to read). */
export function framebufferToPng(fb: Framebuffer, opts: PngOptions = {}): Buffer {
  const scale = Math.max(1, Math.floor(opts.scale ?? 4));
  const [r, g, b] = LOOKS[opts.look ?? 'white'];
  const png = new PNG({ width: fb.width * scale, height: fb.height * scale });
  for (let y = 0; y < png.height; y++) {
    for (let x = 0; x < png.width; x++) {
      const lit = fb.get(Math.floor(x / scale), Math.floor(y / scale));
      const i = (y * png.width + x) * 4;
      png.data[i] = lit ? r : 8;
      png.data[i + 1] = lit ? g : 10;
      png.data[i + 2] = lit ? b : 14;
      png.data[i + 3] = 255;
    }
  }
  return PNG.sync.write(png);
}
