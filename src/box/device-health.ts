/**
 * Hardware that is configured but cannot be used on a real box (not
 * --simulate): a missing or wrong-architecture addon, permission denied on a
 * device node, I2C switched off, an OLED that does not answer. Each one is
 * logged at error level, shown as an error banner on the OLED (if it
 * answers), and listed as `degraded` by `midimon status` until the part
 * starts cleanly again. In simulation the fakes are the point, so nothing is
 * reported.
 */
import type { Logger } from '../log.js';
import type { Problems } from './problems.js';

export type DeviceKind = 'midi' | 'footswitches' | 'display';

export interface DegradedDevice {
  readonly device: DeviceKind;
  /** What is configured: the switch names, the panel and address, the MIDI backend. */
  readonly name: string;
  readonly reason: string;
}

export class DeviceHealth {
  readonly #problems: Problems;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #degraded = new Map<DeviceKind, DegradedDevice>();

  constructor(options: { problems: Problems; log: Logger; now: () => number }) {
    this.#problems = options.problems;
    this.#log = options.log;
    this.#now = options.now;
  }

  degraded(d: DegradedDevice): void {
    this.#degraded.set(d.device, d);
    this.#log.error({ device: d.device, name: d.name, reason: d.reason }, `${d.device} degraded: ${d.reason}`);
    this.#problems.report({ key: `degraded:${d.device}`, at: this.#now(), severity: 'error', kind: 'device_unavailable', message: `${d.device} ${d.name}: ${d.reason}`, source: d.device });
  }

  healthy(device: DeviceKind): void {
    if (!this.#degraded.delete(device)) return;
    this.#log.info({ device }, `${device} working again`);
    this.#problems.resolve(`degraded:${device}`);
  }

  list(): DegradedDevice[] {
    return [...this.#degraded.values()];
  }
}
