import { Framebuffer } from '../framebuffer.js';
import { charsThatFit, drawText, invertedBar, scrollTop, scrollbar, textRow, textWidth, wrapText } from '../layout.js';
import type { MenuView } from '../../menu/menu-view.js';

const TITLE_H = 9;
const ROW_H = 9;

/** Menu lists, text pages and confirmation dialogs. */
export function renderMenu(view: MenuView, width = 128, height = 64): Framebuffer {
  const fb = new Framebuffer(width, height);
  invertedBar(fb, 0, TITLE_H, view.title);
  const bodyY = TITLE_H + 1;
  const visible = Math.floor((height - bodyY) / ROW_H);
  if (view.kind === 'list') {
    const top = scrollTop(view.selected, view.items.length, visible, view.selected - visible + 1);
    const hasBar = view.items.length > visible;
    const rowW = hasBar ? width - 3 : width;
    view.items.slice(top, top + visible).forEach((item, i) => {
      const y = bodyY + i * ROW_H;
      const selected = top + i === view.selected;
      if (selected) fb.fillRect(0, y, rowW, ROW_H, true);
      const label = `${item.current === true ? '\u25b8' : ' '}${item.label}`;
      textRow(fb, y + 1, label, item.value ?? '', selected, 1, rowW);
    });
    scrollbar(fb, bodyY, height - bodyY, top, visible, view.items.length);
  } else if (view.kind === 'text') {
    const top = Math.min(view.top, Math.max(0, view.lines.length - visible));
    view.lines.slice(top, top + visible).forEach((line, i) => drawText(fb, 1, bodyY + 1 + i * ROW_H, line, { maxWidth: width - 4 }));
    scrollbar(fb, bodyY, height - bodyY, top, visible, view.lines.length);
  } else {
    const buttonsY = height - ROW_H - 1;
    const lines = wrapText(view.message, charsThatFit(width - 4)).slice(0, Math.max(1, Math.floor((buttonsY - bodyY) / ROW_H)));
    lines.forEach((line, i) => drawText(fb, 2, bodyY + 1 + i * ROW_H, line));
    view.options.forEach((label, i) => {
      const w = Math.max(textWidth(label) + 8, 40);
      const x = i === 0 ? 4 : width - 4 - w;
      if (view.selected === i) fb.fillRect(x, buttonsY, w, ROW_H + 1, true);
      else fb.rect(x, buttonsY, w, ROW_H + 1, true);
      drawText(fb, x + Math.floor((w - textWidth(label)) / 2), buttonsY + 1, label, { inverse: view.selected === i });
    });
  }
  return fb;
}
