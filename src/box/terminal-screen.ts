/**
 * The simulated OLED in a terminal: drawn in place in a fixed region at the
 * top (ANSI cursor positioning, so frames never pile up in the scrollback),
 * with the key legend and the keyboard's state under it, and the log
 * scrolling below (a DECSTBM scroll region). Half-block characters give one
 * OLED pixel per column and two per row, square and large enough that the
 * 5x8 font reads; a terminal too small for that gets Braille (2x4 pixels a
 * cell), and anything that is not a terminal gets no drawing at all.
 *
 * The renderers are pure (frame -> lines, layout -> escape sequences);
 * TerminalScreen only decides when to write.
 */
import type { Writable } from 'node:stream';
import type { Framebuffer } from '../display/framebuffer.js';

const ESC = '\u001b';
/** Lines the log keeps at the least below the fixed region. */
export const MIN_LOG_LINES = 5;

/** Half blocks: 128x64 becomes 128 columns by 32 rows, each pixel a square. */
export function framebufferToHalfBlocks(fb: Framebuffer): string[] {
  const lines: string[] = [];
  for (let y = 0; y < fb.height; y += 2) {
    let line = '';
    for (let x = 0; x < fb.width; x++) {
      const top = fb.get(x, y);
      const bottom = y + 1 < fb.height && fb.get(x, y + 1);
      line += top ? (bottom ? '\u2588' : '\u2580') : bottom ? '\u2584' : ' ';
    }
    lines.push(line);
  }
  return lines;
}

/** Braille cells are 2x4 pixels: 128x64 becomes 64x16 characters (small, for small terminals). */
export function framebufferToBraille(fb: Framebuffer): string[] {
  const dots = [
    [0x01, 0x08],
    [0x02, 0x10],
    [0x04, 0x20],
    [0x40, 0x80],
  ] as const;
  const lines: string[] = [];
  for (let y = 0; y < fb.height; y += 4) {
    let line = '';
    for (let x = 0; x < fb.width; x += 2) {
      let cell = 0;
      for (let dy = 0; dy < 4; dy++) {
        for (let dx = 0; dx < 2; dx++) {
          if (y + dy < fb.height && x + dx < fb.width && fb.get(x + dx, y + dy)) cell |= dots[dy]?.[dx] ?? 0;
        }
      }
      line += String.fromCodePoint(0x2800 + cell);
    }
    lines.push(line);
  }
  return lines;
}

export type ArtStyle = 'half-blocks' | 'braille';

export type TerminalLayout =
  | { readonly kind: 'plain'; readonly reason: string }
  | { readonly kind: 'screen'; readonly art: ArtStyle; readonly legend: boolean; readonly columns: number; readonly rows: number };

export interface TerminalFacts {
  readonly isTTY: boolean;
  /** --no-oled. */
  readonly noOled: boolean;
  readonly columns: number;
  readonly rows: number;
  /** Lines the legend and the status line take. */
  readonly legendLines: number;
  readonly width?: number;
  readonly height?: number;
}

/** Rows the region takes: a border line above and below the art, then the legend and status lines. */
export function regionHeight(art: ArtStyle, legendLines: number, height = 64): number {
  return (art === 'half-blocks' ? Math.ceil(height / 2) : Math.ceil(height / 4)) + 2 + legendLines;
}

/**
 * Not a terminal (a pipe, a test, journald): plain log lines, no escape
 * sequences. A terminal: the largest art that leaves room for the log.
 */
export function chooseLayout(t: TerminalFacts): TerminalLayout {
  if (!t.isTTY) return { kind: 'plain', reason: 'stdout is not a terminal' };
  if (t.noOled) return { kind: 'plain', reason: '--no-oled' };
  const width = t.width ?? 128;
  const fits = (art: ArtStyle, legend: boolean) =>
    t.columns >= (art === 'half-blocks' ? width : Math.ceil(width / 2)) + 2 && t.rows >= regionHeight(art, legend ? t.legendLines : 1, t.height) + MIN_LOG_LINES;
  for (const [art, legend] of [['half-blocks', true], ['braille', true], ['braille', false]] as const) {
    if (fits(art, legend)) return { kind: 'screen', art, legend, columns: t.columns, rows: t.rows };
  }
  return { kind: 'plain', reason: `the terminal (${t.columns}x${t.rows}) is too small to draw the OLED in; ${Math.ceil(width / 2) + 2}x${regionHeight('braille', 1, t.height) + MIN_LOG_LINES} at the least` };
}

/** Cuts to `columns` characters (code points: box drawing and Braille are one column each). */
function fit(text: string, columns: number): string {
  const chars = Array.from(text);
  return chars.length <= columns ? text : `${chars.slice(0, Math.max(0, columns - 1)).join('')}\u2026`;
}

/** The region's lines: the framed OLED, then the legend (when it fits) and the status line. */
export function regionLines(frame: Framebuffer | null, layout: Extract<TerminalLayout, { kind: 'screen' }>, legend: readonly string[], status: string, title = 'OLED'): string[] {
  const width = layout.art === 'half-blocks' ? 128 : 64;
  const art = frame === null ? [] : layout.art === 'half-blocks' ? framebufferToHalfBlocks(frame) : framebufferToBraille(frame);
  const artWidth = art[0] === undefined ? width : Array.from(art[0]).length;
  const artRows = frame === null ? (layout.art === 'half-blocks' ? 32 : 16) : art.length;
  const label = frame === null ? `${title} (no display configured)` : title;
  const top = `\u250c\u2500 ${label} ${'\u2500'.repeat(Math.max(0, artWidth - label.length - 3))}\u2510`;
  const body = Array.from({ length: artRows }, (_, i) => `\u2502${art[i] ?? ' '.repeat(artWidth)}\u2502`);
  const bottom = `\u2514${'\u2500'.repeat(artWidth)}\u2518`;
  return [top, ...body, bottom, ...(layout.legend ? legend : []), status].map((l) => fit(l, layout.columns));
}

/** Draws the region at the top without moving the log's cursor (save, position each line, restore). */
export function drawRegion(lines: readonly string[]): string {
  return `${ESC}7${lines.map((l, i) => `${ESC}[${i + 1};1H${l}${ESC}[K`).join('')}${ESC}8`;
}

/**
 * Makes room: pushes what the terminal shows into its scrollback, clears
 * the screen, and confines scrolling to the rows below the region.
 */
export function enterScreen(regionRows: number, rows: number): string {
  return `${'\n'.repeat(rows)}${ESC}[2J${ESC}[${regionRows + 1};${rows}r${ESC}[${rows};1H`;
}

/** Gives the whole terminal back to scrolling, with the cursor on the last row. */
export function leaveScreen(rows: number): string {
  return `${ESC}[r${ESC}[${rows};1H\n`;
}

export type TerminalOut = Writable & { isTTY?: boolean; columns?: number; rows?: number };

export interface TerminalScreenOptions {
  readonly out: TerminalOut;
  readonly noOled: boolean;
  /** The frame on the simulated panel now (null: no display configured). */
  readonly frame: () => Framebuffer | null;
  readonly legend: () => readonly string[];
  readonly status: () => string;
  /** How often to look for a changed frame. Default 100 ms. */
  readonly pollMs?: number;
}

/** Writes the region when its content changes; leaves the terminal as it found it on stop. */
export class TerminalScreen {
  readonly #opts: TerminalScreenOptions;
  #layout: TerminalLayout;
  #last = '';
  #timer: NodeJS.Timeout | undefined;
  #active = false;
  readonly #onResize = () => this.#relayout();

  constructor(options: TerminalScreenOptions) {
    this.#opts = options;
    this.#layout = this.#choose();
  }

  get layout(): TerminalLayout {
    return this.#layout;
  }

  start(): void {
    this.#enter();
    this.#opts.out.on('resize', this.#onResize);
    this.#timer = setInterval(() => this.draw(), this.#opts.pollMs ?? 100);
    this.#timer.unref();
  }

  /** Redraws now if anything changed (the keyboard calls this after a key). */
  draw(): void {
    const layout = this.#layout;
    if (layout.kind !== 'screen') return;
    const lines = regionLines(this.#opts.frame(), layout, this.#opts.legend(), this.#opts.status());
    const text = drawRegion(lines);
    if (text === this.#last) return;
    this.#last = text;
    this.#opts.out.write(text);
  }

  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#opts.out.off('resize', this.#onResize);
    this.#leave();
  }

  #choose(): TerminalLayout {
    const out = this.#opts.out;
    return chooseLayout({ isTTY: out.isTTY === true, noOled: this.#opts.noOled, columns: out.columns ?? 80, rows: out.rows ?? 24, legendLines: this.#opts.legend().length + 1 });
  }

  #enter(): void {
    const layout = this.#layout;
    if (layout.kind !== 'screen') return;
    this.#opts.out.write(enterScreen(regionHeight(layout.art, layout.legend ? this.#opts.legend().length + 1 : 1), layout.rows));
    this.#active = true;
    this.#last = '';
    this.draw();
  }

  #leave(): void {
    if (!this.#active || this.#layout.kind !== 'screen') return;
    this.#active = false;
    this.#opts.out.write(leaveScreen(this.#layout.rows));
  }

  #relayout(): void {
    this.#leave();
    this.#layout = this.#choose();
    this.#enter();
  }
}
