import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CLOSED_MENU, menuView, menuTimeoutIn, reduceMenu, type MenuEffect, type MenuInputType, type MenuState, type PageId } from '../../src/menu/index.js';
import { richContext } from './fixtures.js';

const ctx = richContext();
let t = 0;
function run(state: MenuState, inputs: readonly MenuInputType[], c = ctx) {
  const effects: MenuEffect[] = [];
  for (const type of inputs) {
    const r = reduceMenu(state, { type, at: ++t }, c);
    state = r.state;
    effects.push(...r.effects);
  }
  return { state, effects };
}
const page = (s: MenuState) => (s.open ? s.stack[s.stack.length - 1]?.page : 'closed');

test('closed: only enter opens the menu; other inputs are left to the engine', () => {
  const r = reduceMenu(CLOSED_MENU, { type: 'next', at: 1 }, ctx);
  assert.equal(r.handled, false);
  assert.equal(r.state.open, false);
  const o = reduceMenu(CLOSED_MENU, { type: 'enter', at: 1 }, ctx);
  assert.equal(o.handled, true);
  assert.equal(page(o.state), 'root');
  assert.deepEqual(menuView(o.state, ctx)?.kind, 'list');
});

test('every page and every effect is reachable with next / select / back only', () => {
  const start = reduceMenu(CLOSED_MENU, { type: 'enter', at: 0 }, ctx).state;
  const seen = new Set<string>([JSON.stringify(start)]);
  const queue: MenuState[] = [start];
  const pages = new Set<PageId | 'closed'>();
  const effects = new Set<string>();
  while (queue.length > 0) {
    const s = queue.shift() as MenuState;
    pages.add(page(s) as PageId);
    if (s.open) menuView(s, ctx); // every reachable state has a view
    for (const type of ['next', 'select', 'back'] as const) {
      // Same timestamp: exploration must not depend on time.
      const r = reduceMenu(s, { type, at: 0 }, ctx);
      for (const e of r.effects) effects.add(e.type);
      const key = JSON.stringify(r.state);
      if (!seen.has(key)) {
        seen.add(key);
        queue.push(r.state);
      }
    }
    assert.ok(seen.size < 5000, 'state space is small and finite');
  }
  const all: (PageId | 'closed')[] = ['closed', 'root', 'modes', 'plugins', 'plugin', 'plugin-caps', 'usb', 'devices', 'device', 'errors', 'error', 'system', 'confirm', 'learn', 'learn-listen'];
  assert.deepEqual([...pages].sort(), [...all].sort());
  assert.deepEqual([...effects].sort(), ['learn-cancel', 'learn-start', 'panic', 'plugin-enable', 'plugin-grant', 'restart', 'shutdown', 'switch-mode', 'usb-install']);
});

test('Modes: select switches mode and returns to the status screen; the current mode is marked', () => {
  const { state } = run(CLOSED_MENU, ['enter', 'select']);
  const view = menuView(state, ctx);
  assert.equal(view?.kind, 'list');
  if (view?.kind === 'list') assert.deepEqual(view.items.filter((i) => i.current === true).map((i) => i.label), ['2 Verse']);
  const r = run(state, ['next', 'next', 'select']);
  assert.deepEqual(r.effects, [{ type: 'switch-mode', name: 'Chorus' }]);
  assert.equal(r.state.open, false);
});

test('shutting down needs a confirmation whose default is Cancel', () => {
  // root -> System (4 x next) -> 'Shut down' is the 2nd-last row
  let { state, effects } = run(CLOSED_MENU, ['enter', 'next', 'next', 'next', 'next', 'select']);
  assert.equal(page(state), 'system');
  const view = menuView(state, ctx);
  const idx = view?.kind === 'list' ? view.items.findIndex((i) => i.label === 'Shut down') : -1;
  ({ state, effects } = run(state, [...Array<MenuInputType>(idx).fill('next'), 'select']));
  assert.deepEqual(effects, []);
  const dialog = menuView(state, ctx);
  assert.equal(dialog?.kind, 'confirm');
  if (dialog?.kind === 'confirm') assert.equal(dialog.selected, 0);
  ({ state, effects } = run(state, ['select']));
  assert.deepEqual(effects, [], 'Cancel does nothing');
  assert.equal(page(state), 'system');
  ({ state, effects } = run(state, ['select', 'next', 'select']));
  assert.deepEqual(effects, [{ type: 'shutdown' }]);
  assert.equal(state.open, false);
});

test('times out back to the status screen; each input restarts the timeout', () => {
  const opened = reduceMenu(CLOSED_MENU, { type: 'enter', at: 1000 }, ctx).state;
  assert.equal(reduceMenu(opened, { type: 'tick', at: 30_999 }, ctx).state.open, true);
  assert.equal(menuTimeoutIn(opened, 21_000), 10_000);
  const moved = reduceMenu(opened, { type: 'next', at: 20_000 }, ctx).state;
  assert.equal(reduceMenu(moved, { type: 'tick', at: 31_000 }, ctx).state.open, true);
  assert.equal(reduceMenu(moved, { type: 'tick', at: 50_000 }, ctx).state.open, false);
  assert.equal(reduceMenu(opened, { type: 'tick', at: 5_000 }, ctx, { timeoutMs: 4000 }).state.open, false);
  assert.equal(reduceMenu(opened, { type: 'tick', at: 1e9 }, ctx, { timeoutMs: 0 }).state.open, true, '0 = never');
  assert.equal(menuTimeoutIn(opened, 2000, { timeoutMs: 0 }), undefined);
});

test('enter inside the menu goes back one level and closes from the root', () => {
  const { state } = run(CLOSED_MENU, ['enter', 'next', 'select']);
  assert.equal(page(state), 'plugins');
  assert.equal(page(run(state, ['enter']).state), 'root');
  assert.equal(run(state, ['enter', 'enter']).state.open, false);
});

test('granting and revoking a capability from the menu', () => {
  // root -> Plugins -> arp -> Permissions -> Network
  const { state } = run(CLOSED_MENU, ['enter', 'next', 'select', 'select', 'next', 'select', 'next']);
  assert.equal(page(state), 'plugin-caps');
  const view = menuView(state, ctx);
  assert.ok(view?.kind === 'list' && view.items[1]?.label === 'Network' && view.items[1].value === '[ ]');
  const r = run(state, ['select']);
  assert.deepEqual(r.effects, [{ type: 'plugin-grant', name: 'arp', capability: 'Network', granted: true }]);
  assert.equal(page(r.state), 'plugin-caps', 'stays on the page to toggle more');
  // The root applied it; the next context shows it granted and a second select revokes.
  const granted = richContext({ plugins: ctx.plugins.map((p) => (p.name === 'arp' ? { ...p, capabilities: [{ name: 'Midi', granted: true }, { name: 'Network', granted: true }] } : p)) });
  const v2 = menuView(r.state, granted);
  assert.ok(v2?.kind === 'list' && v2.items[1]?.value === '[x]');
  assert.deepEqual(run(r.state, ['select'], granted).effects, [{ type: 'plugin-grant', name: 'arp', capability: 'Network', granted: false }]);
});

test('the selection stays in range when a list shrinks under it', () => {
  const { state } = run(CLOSED_MENU, ['enter', 'next', 'next', 'select', 'next', 'next']);
  assert.equal(page(state), 'devices');
  const fewer = richContext({ devices: [] });
  const view = menuView(state, fewer);
  assert.ok(view?.kind === 'list');
  if (view?.kind === 'list') assert.deepEqual([view.selected, view.items.length, view.items[view.selected]?.label], [1, 2, '< Back']);
  const atTop = run(CLOSED_MENU, ['enter', 'next', 'next', 'select']).state;
  assert.equal(page(run(atTop, ['select'], fewer).state), 'devices', "'(none)' does nothing");
});

test('error details wrap to the text width and select returns to the list', () => {
  const { state } = run(CLOSED_MENU, ['enter', 'next', 'next', 'next', 'select', 'select']);
  assert.equal(page(state), 'error');
  const view = menuView(state, ctx);
  assert.ok(view?.kind === 'text');
  if (view?.kind === 'text') {
    assert.ok(view.lines.every((l) => l.length <= 20));
    assert.ok(view.lines.join(' ').includes('port hw:2,0,0 vanished'));
    assert.ok(view.lines[0]?.startsWith('ERROR 1m'));
  }
  assert.equal(page(run(state, ['select']).state), 'errors');
});
