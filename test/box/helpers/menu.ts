import assert from 'node:assert/strict';
import type { MidimonBox } from '../../../src/box/box.js';
import { menuView } from '../../../src/menu/index.js';

/** Moves the open menu's cursor to the row (or dialog button) labelled `label` and selects it: robust to pages gaining rows. */
export function choose(box: MidimonBox, now: number, label: string | RegExp): void {
  for (let i = 0; i < 40; i++) {
    const view = menuView(box.menu.state, box.menuContext());
    assert.ok(view !== null && view.kind !== 'text', 'a menu list or dialog is open');
    const current = view.kind === 'list' ? view.items[view.selected]?.label : view.options[view.selected];
    if (current !== undefined && (typeof label === 'string' ? current === label : label.test(current))) {
      box.menu.input('select', now);
      return;
    }
    box.menu.input('next', now);
  }
  assert.fail(`no menu row ${String(label)}`);
}
