// The OLED Monitor page: the last MIDI messages in and out from the monitor
// bus, newest first, short enough for 20 columns, following the traffic while
// it is open. Pure menu, the ring, and the real box.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MidiRecent } from '../../src/box/monitor-recent.js';
import { charsThatFit } from '../../src/display/layout.js';
import { renderMenu } from '../../src/display/screens/menu-screen.js';
import { shortMidi } from '../../src/midi/describe-midi.js';
import { CLOSED_MENU, menuView, reduceMenu, type MenuContext, type MenuState } from '../../src/menu/index.js';
import { richContext } from '../menu/fixtures.js';
import { exampleBox } from './helpers/example-box.js';
import { choose } from './helpers/menu.js';

function open(ctx: MenuContext): MenuState {
  let state: MenuState = CLOSED_MENU;
  state = reduceMenu(state, { type: 'enter', at: 0 }, ctx).state;
  for (let i = 0; i < 20; i++) {
    const view = menuView(state, ctx);
    if (view?.kind === 'list' && view.items[view.selected]?.label === 'MIDI monitor') return reduceMenu(state, { type: 'select', at: 0 }, ctx).state;
    state = reduceMenu(state, { type: 'next', at: 0 }, ctx).state;
  }
  assert.fail('no MIDI monitor row');
}

test('menu: a MIDI monitor row opens the last messages, newest first; none yet says so; no data, no row', () => {
  const ctx = richContext({ monitor: [{ dir: 'out', device: 'synth', text: 'cc74=127 c1' }, { dir: 'in', device: 'keys', text: 'n60 v100 c1' }] });
  const view = menuView(open(ctx), ctx);
  assert.deepEqual(view, { kind: 'text', title: 'Monitor >in <out', lines: ['<synth cc74=127 c1', '>keys n60 v100 c1'], top: 0 });
  const empty = richContext({ monitor: [] });
  assert.deepEqual(menuView(open(empty), empty), { kind: 'text', title: 'Monitor >in <out', lines: ['(no MIDI yet)'], top: 0 });
  const root = menuView(reduceMenu(CLOSED_MENU, { type: 'enter', at: 0 }, richContext()).state, richContext());
  assert.ok(root?.kind === 'list' && !root.items.some((i) => i.label === 'MIDI monitor'));
});

test('short texts fit the 128 px page (20 characters) for the usual messages', () => {
  const cases: Array<[number[], string]> = [
    [[0x90, 60, 100], 'n60 v100 c1'],
    [[0x8f, 127, 0], 'off127 c16'],
    [[0xb0, 74, 127], 'cc74=127 c1'],
    [[0xc9, 5], 'pc5 c10'],
    [[0xe0, 0, 0], 'bend-8192 c1'],
    [[0xd0, 40], 'at40 c1'],
    [[0xa9, 36, 90], 'pat36=90 c10'],
    [[0xf0, 0x7e, 0x7f, 0x09, 0x01, 0xf7], 'sysex 6B'],
  ];
  for (const [bytes, text] of cases) {
    assert.equal(shortMidi(bytes), text);
    assert.ok(`<synth ${text}`.length <= 20, `${text} fits beside a 5-letter device`);
  }
  // The text page draws lines up to width - 4 px beside its scrollbar.
  assert.ok(charsThatFit(128 - 4) >= 20);
});

test('the ring keeps the newest N, newest first, and skips clock and active sensing', () => {
  const r = new MidiRecent(3);
  let records = 0;
  r.onRecord(() => records++);
  for (let n = 0; n < 5; n++) r.record('in', 'keys', [0x90, 60 + n, 100], n);
  r.record('out', 'synth', [0xf8], 9);
  r.record('in', 'keys', [0xfe], 9);
  assert.deepEqual(r.list().map((m) => m.bytes[1]), [64, 63, 62]);
  assert.equal(records, 5);
  assert.deepEqual(r.lines()[0], { dir: 'in', device: 'keys', text: 'n64 v100 c1' });
});

test('the real box: MIDI in and out appear on the page, and the open page follows new messages', async () => {
  const { box, clock, close } = await exampleBox();
  try {
    const KEYS = 'Keystation:Keystation MIDI 1 20:0';
    box.simulation.midi?.inject(KEYS, [0x90, 60, 100]);
    box.menu.input('enter', clock.now());
    choose(box, clock.now(), 'MIDI monitor');
    const lines = () => {
      const v = menuView(box.menu.state, box.menuContext());
      return v?.kind === 'text' ? v.lines : [];
    };
    assert.deepEqual(lines().slice(0, 2), ['<synth n60 v100 c1', '>keys n60 v100 c1'], 'keys-thru: in, then out');
    const shown = () => box.display?.framebuffer();
    box.simulation.midi?.inject(KEYS, [0x80, 60, 0]);
    clock.advance(0);
    const expected = renderMenu(menuView(box.menu.state, box.menuContext()) ?? assert.fail('open'), 128, 64);
    assert.ok(shown()?.equals(expected), 'the display shows the new message without any key press');
    assert.equal(lines()[0], '<synth off60 c1');
  } finally {
    await close();
  }
});
