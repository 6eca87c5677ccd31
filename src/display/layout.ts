import { CHAR_ADVANCE, GLYPH_HEIGHT, GLYPH_WIDTH, glyph } from './font.js';
import type { Framebuffer } from './framebuffer.js';

export interface TextOptions {
  /** Integer pixel scale: 1 = 5x8 glyphs, 2 = 10x16 for the mode name. */
  readonly scale?: number;
  /** Draw lit pixels as off (text on an inverted bar). */
  readonly inverse?: boolean;
  /** Truncate with an ellipsis to fit this many pixels. */
  readonly maxWidth?: number;
}

export function textWidth(text: string, scale = 1): number {
  const n = [...text].length;
  return n === 0 ? 0 : (n * CHAR_ADVANCE - 1) * scale;
}

/** How many characters fit in `width` pixels at `scale`. */
export function charsThatFit(width: number, scale = 1): number {
  return Math.max(0, Math.floor((width + scale) / (CHAR_ADVANCE * scale)));
}

/** Shortens to `maxChars`, ending in an ellipsis glyph when cut. */
export function ellipsize(text: string, maxChars: number): string {
  const chars = [...text];
  if (chars.length <= maxChars) return text;
  if (maxChars <= 0) return '';
  return chars.slice(0, maxChars - 1).join('') + '\u2026';
}

/** Draws text with its top-left at (x, y); returns the width drawn. */
export function drawText(fb: Framebuffer, x: number, y: number, text: string, opts: TextOptions = {}): number {
  const scale = opts.scale ?? 1;
  const on = opts.inverse !== true;
  const shown = opts.maxWidth === undefined ? text : ellipsize(text, charsThatFit(opts.maxWidth, scale));
  let cx = x;
  for (const ch of shown) {
    const cols = glyph(ch);
    for (let gx = 0; gx < GLYPH_WIDTH; gx++) {
      const bits = cols[gx] as number;
      if (bits === 0) continue;
      for (let gy = 0; gy < GLYPH_HEIGHT; gy++) {
        if ((bits & (1 << gy)) === 0) continue;
        if (scale === 1) fb.set(cx + gx, y + gy, on);
        else fb.fillRect(cx + gx * scale, y + gy * scale, scale, scale, on);
      }
    }
    cx += CHAR_ADVANCE * scale;
  }
  return textWidth(shown, scale);
}

/** Word-wraps to lines of at most `maxChars`; words longer than a line are split. */
export function wrapText(text: string, maxChars: number): string[] {
  const lines: string[] = [];
  for (const paragraph of text.split('\n')) {
    let line = '';
    for (let word of paragraph.split(/\s+/).filter((w) => w !== '')) {
      while ([...word].length > maxChars) {
        if (line !== '') lines.push(line);
        line = '';
        lines.push([...word].slice(0, maxChars).join(''));
        word = [...word].slice(maxChars).join('');
      }
      const next = line === '' ? word : `${line} ${word}`;
      if ([...next].length > maxChars) {
        lines.push(line);
        line = word;
      } else line = next;
    }
    lines.push(line);
  }
  return lines;
}

/** A full-width inverted bar with text (titles, the selected list row). */
export function invertedBar(fb: Framebuffer, y: number, h: number, left: string, right = ''): void {
  fb.fillRect(0, y, fb.width, h, true);
  textRow(fb, y + Math.floor((h - GLYPH_HEIGHT) / 2) + 1, left, right, true, 2);
}

/** Left text and right-aligned text on one row; the left part is cut to leave room. */
export function textRow(fb: Framebuffer, y: number, left: string, right: string, inverse = false, pad = 1, width = fb.width): void {
  const rightW = textWidth(right);
  const leftMax = width - pad * 2 - (right === '' ? 0 : rightW + CHAR_ADVANCE);
  drawText(fb, pad, y, left, { inverse, maxWidth: leftMax });
  if (right !== '') drawText(fb, width - pad - rightW, y, right, { inverse });
}

/** First visible row so that `selected` stays on screen, keeping the window stable while possible. */
export function scrollTop(selected: number, count: number, visible: number, previousTop = 0): number {
  if (count <= visible) return 0;
  let top = Math.min(Math.max(previousTop, 0), count - visible);
  if (selected < top) top = selected;
  if (selected >= top + visible) top = selected - visible + 1;
  return top;
}

/** A thin scrollbar on the right edge: shows position in a list longer than the screen. */
export function scrollbar(fb: Framebuffer, y: number, h: number, top: number, visible: number, count: number): void {
  if (count <= visible) return;
  const thumbH = Math.max(3, Math.round((h * visible) / count));
  const thumbY = y + Math.round(((h - thumbH) * top) / Math.max(1, count - visible));
  fb.fillRect(fb.width - 2, y, 2, h, false);
  fb.fillRect(fb.width - 1, y, 1, h, true);
  fb.fillRect(fb.width - 2, thumbY, 2, thumbH, true);
}
