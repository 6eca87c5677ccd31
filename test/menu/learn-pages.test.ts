// The menu's MIDI learn pages as a pure machine: pick a mode (listening
// starts), the page follows the box's learn state, a choice asks before it
// writes, Cancel stops listening.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CLOSED_MENU, menuView, reduceMenu, type MenuContext, type MenuEffect, type MenuInputType, type MenuState } from '../../src/menu/index.js';
import { richContext } from './fixtures.js';

let t = 0;
function run(state: MenuState, inputs: readonly MenuInputType[], ctx: MenuContext) {
  const effects: MenuEffect[] = [];
  for (const type of inputs) {
    const r = reduceMenu(state, { type, at: ++t }, ctx);
    state = r.state;
    effects.push(...r.effects);
  }
  return { state, effects };
}

/** Steps down the current list to the row labelled `label` and selects it. */
function choose(state: MenuState, label: string, ctx: MenuContext) {
  const effects: MenuEffect[] = [];
  for (let i = 0; i < 30; i++) {
    const view = menuView(state, ctx);
    assert.ok(view?.kind === 'list', `a list, not ${view?.kind}`);
    if (view.items[view.selected]?.label === label) {
      const r = run(state, ['select'], ctx);
      return { state: r.state, effects: [...effects, ...r.effects] };
    }
    state = run(state, ['next'], ctx).state;
  }
  assert.fail(`no row '${label}'`);
}

const top = (s: MenuState) => (s.open ? s.stack[s.stack.length - 1] : undefined);

test('Menu > MIDI learn > a mode: listening starts for that mode', () => {
  const ctx = richContext();
  let { state } = run(CLOSED_MENU, ['enter'], ctx);
  ({ state } = choose(state, 'MIDI learn', ctx));
  const view = menuView(state, ctx);
  assert.ok(view?.kind === 'list');
  assert.deepEqual(view.items.map((i) => i.label), ['1 Intro', '2 Verse', '3 Chorus', '< Back']);
  const r = choose(state, '3 Chorus', ctx);
  assert.deepEqual(r.effects, [{ type: 'learn-start', mode: 'Chorus' }]);
  assert.deepEqual(top(r.state), { page: 'learn-listen', selected: 0, param: 'Chorus' });
  const waiting = menuView(r.state, { ...ctx, learn: { state: 'waiting', mode: 'Chorus', pluginActions: [] } });
  assert.deepEqual(waiting?.kind === 'list' && waiting.items.map((i) => i.label), ['Move a control...', 'Cancel']);
  // Cancel stops listening and goes back to the mode list.
  const c = choose(r.state, 'Cancel', { ...ctx, learn: { state: 'waiting', mode: 'Chorus', pluginActions: [] } });
  assert.deepEqual(c.effects, [{ type: 'learn-cancel' }]);
  assert.equal(top(c.state)?.page, 'learn');
});

test('a captured control: the short list of actions, a confirmation, then learn-save with the choice', () => {
  const base = richContext();
  const listen = { open: true as const, lastInputAt: 0, stack: [{ page: 'root' as const, selected: 0 }, { page: 'learn' as const, selected: 1 }, { page: 'learn-listen' as const, selected: 0, param: 'Verse' }] };
  const ctx: MenuContext = { ...base, learn: { state: 'captured', mode: 'Verse', label: 'keys note 60 ch1', pluginActions: [{ plugin: 'arp', action: 'toggle' }] } };
  const view = menuView(listen, ctx);
  assert.ok(view?.kind === 'list');
  assert.equal(view.title, 'keys note 60 ch1');
  assert.deepEqual(view.items.map((i) => i.label), ['Mode next', 'Mode prev', 'Send note', 'Send CC', 'Send PC', 'arp: toggle', 'Cancel']);
  const asked = choose(listen, 'arp: toggle', ctx);
  assert.deepEqual(asked.effects, [], 'nothing is written before the confirmation');
  const dialog = menuView(asked.state, ctx);
  assert.deepEqual(dialog, { kind: 'confirm', title: 'Learn', message: 'keys note 60 ch1 -> arp: toggle in Verse? Writes the config file.', options: ['Cancel', 'Save'], selected: 0 });
  // The dialog starts on Cancel: selecting it returns to the choices.
  assert.equal(top(run(asked.state, ['select'], ctx).state)?.page, 'learn-listen');
  const saved = run(asked.state, ['next', 'select'], ctx);
  assert.deepEqual(saved.effects, [{ type: 'learn-save', mode: 'Verse', choice: { kind: 'plugin', plugin: 'arp', action: 'toggle' } }]);
  assert.equal(saved.state.open, false);
});

test('nothing came in: listen again or cancel', () => {
  const ctx: MenuContext = { ...richContext(), learn: { state: 'timeout', mode: 'Intro', pluginActions: [] } };
  const listen = { open: true as const, lastInputAt: 0, stack: [{ page: 'learn-listen' as const, selected: 0, param: 'Intro' }] };
  const view = menuView(listen, ctx);
  assert.deepEqual(view?.kind === 'list' && view.items.map((i) => i.label), ['Nothing came in', 'Listen again', 'Cancel']);
  assert.deepEqual(choose(listen, 'Listen again', ctx).effects, [{ type: 'learn-start', mode: 'Intro' }]);
  // Another mode's session does not leak into this page.
  const other = menuView(listen, { ...ctx, learn: { state: 'captured', mode: 'Verse', label: 'x', pluginActions: [] } });
  assert.deepEqual(other?.kind === 'list' && other.items.map((i) => i.label), ['Move a control...', 'Cancel']);
});
