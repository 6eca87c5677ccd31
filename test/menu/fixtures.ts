import type { MenuContext } from '../../src/menu/index.js';

/** A box with everything the menu can show: used by the menu tests and the screenshot demo views. */
export function richContext(overrides: Partial<MenuContext> = {}): MenuContext {
  return {
    now: 1_000_000,
    modes: [{ index: 1, name: 'Intro' }, { index: 2, name: 'Verse' }, { index: 3, name: 'Chorus' }],
    currentMode: 'Verse',
    plugins: [
      { name: 'arp', state: 'running', enabled: true, capabilities: [{ name: 'Midi', granted: true }, { name: 'Network', granted: false }] },
      { name: 'echo', state: 'error', enabled: true, capabilities: [{ name: 'Midi', granted: true }], error: 'out of fuel in process()' },
    ],
    usb: { present: true, packages: [{ path: '/media/usb/chord.midimon', name: 'chord', version: '1.2.0' }] },
    devices: [{ name: 'Launchkey', direction: 'in', connected: true, lastSeen: 999_000 }, { name: 'Synth', direction: 'out', connected: false, lastSeen: 400_000 }],
    errors: [{ at: 940_000, severity: 'error', kind: 'device_unavailable', message: 'Synth disconnected', details: 'port hw:2,0,0 vanished' }],
    system: { hostname: 'midimon', addresses: ['192.168.1.23'], version: '0.1.0', diskFreeMb: 5120, memFreeMb: 300, memTotalMb: 1024 },
    ...overrides,
  };
}
