import { CLOSED_MENU, menuView, reduceMenu, type MenuContext, type MenuInputType, type MenuState, type MenuView } from '../menu/index.js';
import type { StatusView } from './view-models.js';

/**
 * A plausible box, for `midimon screenshot --simulate`, the README images and
 * the bench: what a player sees mid-gig.
 */
export const DEMO_STATUS: StatusView = {
  mode: { index: 2, name: 'Verse', count: 6 },
  devices: [
    { name: 'Launchkey 49', direction: 'in', connected: true },
    { name: 'FS-7', direction: 'in', connected: true },
    { name: 'Prophet', direction: 'out', connected: true },
  ],
  lastTrigger: 'PC 12 ch1',
  plugins: [
    { name: 'arp', state: 'running' },
    { name: 'chords', state: 'running' },
  ],
};

export const DEMO_ERROR_STATUS: StatusView = {
  ...DEMO_STATUS,
  devices: DEMO_STATUS.devices.filter((d) => d.name !== 'Prophet'),
  plugins: [{ name: 'arp', state: 'running' }, { name: 'chords', state: 'error' }],
  banner: { severity: 'error', text: 'Prophet unplugged - MIDI out lost' },
};

export const DEMO_MENU_CONTEXT: MenuContext = {
  now: 600_000,
  modes: ['Intro', 'Verse', 'Chorus', 'Bridge', 'Solo', 'Outro'].map((name, i) => ({ name, index: i + 1 })),
  currentMode: 'Verse',
  plugins: [
    { name: 'arp', state: 'running', enabled: true, capabilities: [{ name: 'Midi', granted: true }] },
    { name: 'chords', state: 'running', enabled: true, capabilities: [{ name: 'Midi', granted: true }, { name: 'Filesystem', granted: false }] },
  ],
  usb: { present: false, packages: [] },
  devices: [
    { name: 'Launchkey 49', direction: 'in', connected: true, lastSeen: 599_000 },
    { name: 'Prophet', direction: 'out', connected: true, lastSeen: 599_000 },
  ],
  errors: [],
  system: { hostname: 'midimon', addresses: ['192.168.1.23'], version: '0.1.0', diskFreeMb: 5120, memFreeMb: 610, memTotalMb: 1024 },
};

/** The menu after the given inputs (default: opened, cursor on Plugins). */
export function demoMenu(inputs: readonly MenuInputType[] = ['enter', 'next'], ctx: MenuContext = DEMO_MENU_CONTEXT): MenuView {
  let state: MenuState = CLOSED_MENU;
  for (const type of inputs) state = reduceMenu(state, { type, at: ctx.now }, ctx).state;
  return menuView(state, ctx) ?? { kind: 'list', title: 'Menu', items: [], selected: 0 };
}
