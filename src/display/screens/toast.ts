import type { Framebuffer } from '../framebuffer.js';
import { charsThatFit, drawText, ellipsize, wrapText } from '../layout.js';

const LINE_H = 9;

/**
 * A short message over whatever is on screen (menu or status), for a moment:
 * a framed box across the lower half, so the page it answers stays readable
 * above it. Up to three lines; longer text is cut with an ellipsis.
 */
export function drawToast(fb: Framebuffer, text: string, maxLines = 3): void {
  const chars = charsThatFit(fb.width - 8);
  const wrapped = wrapText(text, chars);
  const lines = wrapped.length > maxLines ? [...wrapped.slice(0, maxLines - 1), ellipsize(wrapped.slice(maxLines - 1).join(' '), chars)] : wrapped;
  const h = lines.length * LINE_H + 5;
  const y = fb.height - h;
  // A black margin, then a double frame: it reads as "on top" of the page below.
  fb.fillRect(0, y - 1, fb.width, h + 1, false);
  fb.rect(0, y, fb.width, h, true);
  fb.rect(1, y + 1, fb.width - 2, h - 2, true);
  lines.forEach((line, i) => drawText(fb, 4, y + 3 + i * LINE_H, line));
}
