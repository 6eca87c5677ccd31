import type { Framebuffer } from './framebuffer.js';

export type OledController = 'ssd1306' | 'sh1106';
export type Rotation = 0 | 180;

export interface OledOptions {
  readonly address?: number;
  readonly width?: number;
  readonly height?: 64 | 32;
  readonly rotation?: Rotation;
  /** 0-255, sent at init. Default 0xCF. */
  readonly contrast?: number;
  /** Data bytes per I2C write. Default 32. */
  readonly chunkSize?: number;
}

export interface DrawStats {
  /** Pages (8-row bands) that had changes and were sent. */
  readonly pages: number;
  /** Bytes written on the bus, control bytes included. */
  readonly bytes: number;
  readonly writes: number;
}

/**
 * An OLED panel. `draw` sends only the pages (and within them only the column
 * span) that differ from what the panel already shows. Essential operations
 * reject with MidimonError('device_unavailable' | 'device_io').
 */
export interface OledDisplay {
  readonly controller: OledController;
  readonly width: number;
  readonly height: number;
  /** Probes with a write, configures, clears and turns the panel on. */
  init(): Promise<void>;
  draw(fb: Framebuffer): Promise<DrawStats>;
  /** 0-255 (SSD1306/SH1106 contrast register; this is the brightness knob). */
  setContrast(value: number): Promise<void>;
  setPower(on: boolean): Promise<void>;
  /** Turns the panel off and closes the bus. */
  close(): Promise<void>;
}
