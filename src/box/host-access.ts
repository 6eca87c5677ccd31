/**
 * Every host path the box opens for a given config, gathered from the
 * adapters' own exports (so the list cannot drift from what they open).
 * test/provisioning/unit-sandbox.test.ts checks it against midimon.service.
 */
import { dirname, join } from 'node:path';
import type { MidimonPaths } from '../config/paths.js';
import type { BoxConfig } from '../config/schema.js';
import { i2cUses } from '../display/i2c-transport.js';
import type { GpioChipInfo } from '../gpio/gpio-base.js';
import { sysfsGpioNumber } from '../gpio/gpio-base.js';
import { gpioSysfsUses } from '../gpio/onoff-footswitches.js';
import { midiUses } from '../midi/rtmidi-backend.js';
import type { HostPathUse } from '../system/unit-sandbox.js';

export function boxHostUses(config: BoxConfig, paths: MidimonPaths, gpioChip: GpioChipInfo): HostPathUse[] {
  const box = 'midimon-box';
  const uses: HostPathUse[] = [
    { path: paths.configPath, access: 'read', kind: 'file', by: `${box} (config, hot reload)` },
    // MIDI learn writes the config (temp file + rename) and config.toml.bak beside it.
    { path: dirname(paths.configPath), access: 'write', kind: 'dir', by: `${box} (MIDI learn: config edits and their backup)` },
    { path: join(dirname(paths.configPath), 'trusted-keys'), access: 'read', kind: 'dir', by: `${box} (plugin signature keys)` },
    { path: join(paths.stateDir, 'state.json'), access: 'write', kind: 'file', by: `${box} (state)` },
    { path: join(paths.stateDir, 'plugins'), access: 'write', kind: 'dir', by: `${box} (installed plugins)` },
    { path: paths.socketPath, access: 'write', kind: 'file', by: `${box} (control socket)` },
    { path: '/proc/self/mountinfo', access: 'read', kind: 'file', by: `${box} (USB stick detection)` },
    ...midiUses(),
  ];
  if (config.usb.enabled) for (const root of config.usb.mount_roots) uses.push({ path: root, access: 'read', kind: 'dir', by: `${box} (USB sticks)` });
  const pins = config.devices.footswitches.map((f) => sysfsGpioNumber(gpioChip, f.pin));
  if (pins.length > 0) uses.push(...gpioSysfsUses(pins));
  if (config.devices.display.controller !== 'none') uses.push(...i2cUses(config.devices.display.bus));
  return uses;
}
