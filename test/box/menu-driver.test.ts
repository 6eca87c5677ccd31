import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultMenuControls, MenuDriver } from '../../src/box/menu-driver.js';
import { menuShadows } from '../../src/config/menu-shadows.js';
import { boxConfigSchema } from '../../src/config/schema.js';
import { ManualScheduler } from '../../src/gpio/manual-scheduler.js';
import { silentLogger } from '../../src/log.js';
import type { MenuContext } from '../../src/menu/index.js';

const ctx = (): MenuContext => ({
  now: 0,
  modes: [
    { name: 'A', index: 0 },
    { name: 'B', index: 1 },
  ],
  currentMode: 'A',
  plugins: [],
  usb: { present: false, packages: [] },
  devices: [],
  errors: [],
  system: { hostname: 'box', addresses: [], version: 't' },
});

function driver(config: unknown) {
  const effects: string[] = [];
  const d = new MenuDriver({ log: silentLogger(), scheduler: new ManualScheduler(0), context: ctx, onEffect: (e) => effects.push(e.type), onView: () => undefined });
  d.configure(boxConfigSchema.parse(config));
  return { d, effects };
}

const midi = (bytes: number[]) => ({ type: 'midi' as const, device: 'Pad', bytes, at: 0 });

test('MIDI menu controls: only bound notes/CCs (with their channel) are consumed, and the releases of what was consumed', () => {
  const { d } = driver({
    modes: [{ name: 'A' }, { name: 'B' }],
    menu: {
      controls: [
        { control: 'enter', cc: 80 },
        { control: 'next', note: 60, channel: 10 },
      ],
    },
  });
  // Closed: note 60 belongs to the engine on every channel (it is not the enter control).
  assert.equal(d.midi(midi([0x99, 60, 100])), false);
  assert.equal(d.midi(midi([0x89, 60, 0])), false);
  assert.equal(d.midi(midi([0x90, 60, 100])), false);
  // CC 80 opens the menu; its release is swallowed too.
  assert.equal(d.midi(midi([0xb0, 80, 127])), true);
  assert.equal(d.open, true);
  assert.equal(d.midi(midi([0xb0, 80, 0])), true);
  // Open: note 60 on channel 10 steps, its note-off is swallowed; channel 1 still reaches the engine.
  assert.equal(d.midi(midi([0x99, 60, 100])), true);
  assert.equal(d.midi(midi([0x99, 60, 0])), true);
  assert.equal(d.midi(midi([0x90, 60, 100])), false);
  // The note-off of a note the engine got (pressed while closed) is the engine's.
  assert.equal(d.midi(midi([0x80, 60, 0])), false);
});

test('footswitch gestures: only "enter" while closed; every gesture while open', () => {
  const { d } = driver({ devices: { footswitches: [{ name: 'left', pin: 17 }, { name: 'right', pin: 27 }] }, modes: [{ name: 'A' }, { name: 'B' }] });
  const fs = (sw: string, gesture: 'press' | 'long' | 'release' | 'double') => d.footswitch({ type: 'footswitch', switch: sw, gesture, at: 0 });
  assert.equal(fs('left', 'press'), false);
  assert.equal(fs('right', 'long'), true);
  assert.equal(d.open, true);
  assert.equal(fs('left', 'release'), true, 'nothing leaks to the engine while navigating');
});

test('default controls: a long press of any switch enters; one-switch boxes select with a double press', () => {
  assert.deepEqual(defaultMenuControls(['solo']), [
    { control: 'enter', switch: 'solo', gesture: 'long' },
    { control: 'next', switch: 'solo', gesture: 'press' },
    { control: 'select', switch: 'solo', gesture: 'double' },
  ]);
  assert.deepEqual(
    defaultMenuControls(['l', 'r']).filter((c) => c.control !== 'enter'),
    [
      { control: 'next', switch: 'l', gesture: 'press' },
      { control: 'select', switch: 'r', gesture: 'press' },
    ],
  );
});

test('mappings shadowed by the enter control are found (the box warns about them)', () => {
  const config = boxConfigSchema.parse({
    devices: { footswitches: [{ name: 'left', pin: 17 }] },
    modes: [{ name: 'A', mappings: [{ trigger: { type: 'Footswitch', switch: 'left', gesture: 'long' }, action: { type: 'ModeChange', mode: 'next' } }] }],
  });
  assert.deepEqual(menuShadows(config).map((s) => [s.mapping, s.input]), [['modes[0].mappings[0]', 'switch "left" long press (the default menu controls)']]);
});
