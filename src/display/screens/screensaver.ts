import { Framebuffer } from '../framebuffer.js';
import { drawText, textWidth } from '../layout.js';

/**
 * Burn-in care that still says which mode is active: only the mode number
 * and name in small text, moved to a new spot every `step` so no pixel stays lit.
 */
export function renderScreensaver(modeLabel: string, step: number, width = 128, height = 64): Framebuffer {
  const fb = new Framebuffer(width, height);
  const w = Math.min(width, textWidth(modeLabel));
  const xs = Math.max(1, width - w);
  const ys = Math.max(1, height - 8);
  // Two coprime strides walk the whole area before repeating.
  const x = (step * 37) % xs;
  const y = (step * 11) % ys;
  drawText(fb, x, y, modeLabel, { maxWidth: width - x });
  return fb;
}
