import type { MenuContext } from './menu-context.js';
import { buildPage, type Page } from './menu-pages.js';
import type { MenuEffect, MenuFrame, MenuInput, MenuOptions, MenuResult, MenuState } from './menu-types.js';
import type { MenuView } from './menu-view.js';

export const DEFAULT_MENU_TIMEOUT_MS = 30_000;
// 20 characters = 119 px: fits beside the scrollbar on a 128 px panel.
const DEFAULT_COLUMNS = 20;

/**
 * The on-device menu as a pure function: (state, input, context) -> (state,
 * effects). 'enter' opens it (a long press) and, inside, goes back one level,
 * so a one-switch box can use press = next, double = select, long = enter/back.
 * Lists wrap around and end in '< Back' so next + select alone reach everything.
 */
export function reduceMenu(state: MenuState, input: MenuInput, ctx: MenuContext, options: MenuOptions = {}): MenuResult {
  const timeout = options.timeoutMs ?? DEFAULT_MENU_TIMEOUT_MS;
  const columns = options.textColumns ?? DEFAULT_COLUMNS;
  if (!state.open) {
    if (input.type === 'enter') return result({ open: true, stack: [{ page: 'root', selected: 0 }], lastInputAt: input.at });
    return { state, effects: [], handled: false };
  }
  if (input.type === 'tick') {
    // timeoutMs <= 0 means never (config `menu.timeout_s = 0`).
    return timeout > 0 && input.at - state.lastInputAt >= timeout ? result({ open: false }) : { state, effects: [], handled: true };
  }
  const stack = state.stack;
  const top = stack[stack.length - 1] as MenuFrame;
  const page = buildPage(top, ctx, columns);
  const touched = (s: readonly MenuFrame[], effects: readonly MenuEffect[] = []): MenuResult =>
    result(s.length === 0 ? { open: false } : { open: true, stack: s, lastInputAt: input.at }, effects);
  const replaceTop = (frame: MenuFrame) => touched([...stack.slice(0, -1), frame]);
  const pop = () => touched(stack.slice(0, -1));

  switch (input.type) {
    case 'enter':
    case 'back':
      return pop();
    case 'next':
    case 'prev': {
      const n = sizeOf(page);
      const step = input.type === 'next' ? 1 : -1;
      return replaceTop({ ...top, selected: (((clamp(top.selected, n) + step) % n) + n) % n });
    }
    case 'select': {
      if (page.kind === 'text') return pop();
      if (page.kind === 'confirm') {
        // Close the dialog either way; a confirmed action also leaves the menu (restart/shutdown/install take over).
        return top.selected === 1 ? touched([], [page.confirm.effect]) : pop();
      }
      const item = page.items[clamp(top.selected, page.items.length)];
      if (item === undefined) return touched(stack);
      const action = item.action;
      switch (action.kind) {
        case 'go':
          return touched([...stack, action.frame], action.effect === undefined ? [] : [action.effect]);
        case 'back':
          return action.effect === undefined ? pop() : touched(stack.slice(0, -1), [action.effect]);
        case 'none':
          return touched(stack);
        case 'confirm':
          return touched([...stack, { page: 'confirm', selected: 0, confirm: action.confirm }]);
        case 'effect':
          return action.close ? touched([], [action.effect]) : touched(stack, [action.effect]);
      }
    }
  }
}

/** What the display shows for this state; null when the menu is closed (show the status screen). */
export function menuView(state: MenuState, ctx: MenuContext, options: MenuOptions = {}): MenuView | null {
  if (!state.open) return null;
  const top = state.stack[state.stack.length - 1] as MenuFrame;
  const page = buildPage(top, ctx, options.textColumns ?? DEFAULT_COLUMNS);
  if (page.kind === 'confirm') {
    return { kind: 'confirm', title: page.confirm.title, message: page.confirm.message, options: ['Cancel', page.confirm.confirmLabel], selected: top.selected === 1 ? 1 : 0 };
  }
  if (page.kind === 'text') return { kind: 'text', title: page.title, lines: page.lines, top: clamp(top.selected, page.lines.length) };
  return {
    kind: 'list',
    title: page.title,
    selected: clamp(top.selected, page.items.length),
    items: page.items.map((i) => ({ label: i.label, ...(i.value === undefined ? {} : { value: i.value }), ...(i.current === true ? { current: true } : {}) })),
  };
}

export function isMenuOpen(state: MenuState): boolean {
  return state.open;
}

/** Milliseconds until the menu times out (for the root's timer), or undefined when closed or never timing out. */
export function menuTimeoutIn(state: MenuState, now: number, options: MenuOptions = {}): number | undefined {
  const timeout = options.timeoutMs ?? DEFAULT_MENU_TIMEOUT_MS;
  if (!state.open || timeout <= 0) return undefined;
  return Math.max(0, state.lastInputAt + timeout - now);
}

function sizeOf(page: Page): number {
  if (page.kind === 'list') return Math.max(1, page.items.length);
  if (page.kind === 'text') return Math.max(1, page.lines.length);
  return 2;
}

/** Lists change under the cursor (a device unplugs): keep the selection in range. */
function clamp(i: number, n: number): number {
  return n <= 0 ? 0 : Math.min(Math.max(0, i), n - 1);
}

function result(state: MenuState, effects: readonly MenuEffect[] = []): MenuResult {
  return { state, effects, handled: true };
}
