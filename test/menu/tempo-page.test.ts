// The Tempo menu page: tap, nudge, start/stop and source, as effects; the
// status screen's tempo text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { reduceMenu, menuView, CLOSED_MENU, type MenuContext, type MenuState } from '../../src/menu/index.js';
import { tempoText } from '../../src/display/view-models.js';

const base: MenuContext = {
  now: 0,
  modes: [{ name: 'A', index: 0 }],
  currentMode: 'A',
  plugins: [],
  usb: { present: false, packages: [] },
  devices: [],
  errors: [],
  system: { hostname: 'box', addresses: [], version: '1' },
  tempo: { bpm: 120, running: false, source: 'internal', locked: true },
};

function openTempo(ctx: MenuContext): MenuState {
  let s = reduceMenu(CLOSED_MENU, { type: 'enter', at: 0 }, ctx).state;
  const root = menuView(s, ctx);
  assert.equal(root?.kind, 'list');
  const idx = root?.kind === 'list' ? root.items.findIndex((i) => i.label === 'Tempo') : -1;
  assert.ok(idx >= 0, 'root has a Tempo entry');
  for (let i = 0; i < idx; i++) s = reduceMenu(s, { type: 'next', at: 0 }, ctx).state;
  return reduceMenu(s, { type: 'select', at: 0 }, ctx).state;
}

function selectRow(s: MenuState, ctx: MenuContext, label: string) {
  const view = menuView(s, ctx);
  const idx = view?.kind === 'list' ? view.items.findIndex((i) => i.label === label) : -1;
  assert.ok(idx >= 0, `row ${label}`);
  let state = s;
  for (let i = 0; i < idx; i++) state = reduceMenu(state, { type: 'next', at: 0 }, ctx).state;
  return reduceMenu(state, { type: 'select', at: 0 }, ctx);
}

test('Tempo page: Tap, +1/-1, Start, Source are effects and the menu stays open', () => {
  const s = openTempo(base);
  const view = menuView(s, base);
  assert.equal(view?.kind === 'list' ? view.title : '', 'Tempo 120.0');
  assert.deepEqual(selectRow(s, base, 'Tap').effects, [{ type: 'tempo-tap' }]);
  assert.deepEqual(selectRow(s, base, '+1 BPM').effects, [{ type: 'tempo-nudge', by: 1 }]);
  assert.deepEqual(selectRow(s, base, '-1 BPM').effects, [{ type: 'tempo-nudge', by: -1 }]);
  const start = selectRow(s, base, 'Start');
  assert.deepEqual(start.effects, [{ type: 'clock-toggle' }]);
  assert.equal(start.state.open, true);
  assert.deepEqual(selectRow(s, base, 'Source').effects, [{ type: 'clock-source', source: 'external' }]);
  const running = { ...base, tempo: { ...base.tempo!, running: true } };
  assert.deepEqual(selectRow(openTempo(running), running, 'Stop').effects, [{ type: 'clock-toggle' }]);
});

test('following an external clock: no tap/start rows, only the source switch back', () => {
  const ctx = { ...base, tempo: { bpm: 96, running: true, source: 'external' as const, locked: true } };
  const s = openTempo(ctx);
  const view = menuView(s, ctx);
  const labels = view?.kind === 'list' ? view.items.map((i) => i.label) : [];
  assert.deepEqual(labels, ['Following', 'Source', '< Back']);
  assert.deepEqual(selectRow(s, ctx, 'Source').effects, [{ type: 'clock-source', source: 'internal' }]);
});

test('status screen tempo text: running beat, stopped, following, no clock', () => {
  assert.equal(tempoText({ bpm: 120, running: true, external: false, locked: true, beat: 3 }), '120.0 >3');
  assert.equal(tempoText({ bpm: 90.5, running: false, external: false, locked: true, beat: 1 }), '90.5 ||');
  assert.equal(tempoText({ bpm: 96, running: true, external: true, locked: true, beat: 1 }), 'e96.0 >1');
  assert.equal(tempoText({ bpm: 96, running: false, external: true, locked: false, beat: 1 }), 'EXT ?');
});
