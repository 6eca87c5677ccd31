import { access } from 'node:fs/promises';
import type { Logger } from '../log.js';
import { MidimonError, toMidimonError } from '../errors.js';
import { detectGpioChip, sysfsGpioNumber, DEFAULT_GPIO_SYSFS } from './gpio-base.js';
import { SwitchBank } from './switch-bank.js';
import type { HostPathUse } from '../system/unit-sandbox.js';
import { realScheduler, type FootswitchListener, type FootswitchPin, type Footswitches, type GestureTiming, type Scheduler } from './footswitches.js';

/**
 * Every sysfs file this backend (onoff) opens for the given sysfs GPIO numbers:
 * export/unexport, each line's direction, edge, active_low (written) and value
 * (read and polled), and the chip attributes read by detectGpioChip(). The
 * unit-sandbox test checks these against midimon.service; onoff's own paths
 * are `${sysfs}/export` and `${sysfs}/gpioN/<attr>`, as below.
 */
export function gpioSysfsUses(sysfsNumbers: readonly number[], sysfs: string = DEFAULT_GPIO_SYSFS): HostPathUse[] {
  const by = 'footswitches (onoff, sysfs GPIO)';
  const uses: HostPathUse[] = [
    { path: sysfs, access: 'read', kind: 'dir', by },
    { path: `${sysfs}/export`, access: 'write', kind: 'file', group: 'gpio', by },
    { path: `${sysfs}/unexport`, access: 'write', kind: 'file', group: 'gpio', by },
  ];
  for (const n of sysfsNumbers) {
    for (const attr of ['direction', 'edge', 'active_low', 'value']) uses.push({ path: `${sysfs}/gpio${n}/${attr}`, access: 'write', kind: 'file', group: 'gpio', by });
  }
  return uses;
}

/** The part of onoff's Gpio we use; tests inject a fake factory. */
export interface GpioLine {
  readSync(): 0 | 1;
  watch(callback: (err: Error | null | undefined, value: 0 | 1) => void): void;
  unwatchAll(): void;
  unexport(): void;
}
export type GpioFactory = (sysfsNumber: number, activeLow: boolean) => GpioLine;

export interface OnoffFootswitchesOptions {
  readonly pins: readonly FootswitchPin[];
  readonly timing?: Partial<GestureTiming>;
  readonly scheduler?: Scheduler;
  readonly log: Logger;
  /** Default /sys/class/gpio. */
  readonly sysfsGpio?: string;
  /** Default: `onoff`'s Gpio, imported on start(). */
  readonly gpioFactory?: GpioFactory;
}

/**
 * Footswitches on sysfs GPIO through `onoff`. Pins are exported with edge
 * 'both' and onoff's own debounce off: our detector debounces and classifies.
 * Pull-ups cannot be set through sysfs; provisioning writes `gpio=17,27=ip,pu`.
 */
export class OnoffFootswitches implements Footswitches {
  readonly names: readonly string[];
  readonly #opts: OnoffFootswitchesOptions;
  readonly #bank: SwitchBank;
  #lines: GpioLine[] = [];

  constructor(opts: OnoffFootswitchesOptions) {
    this.#opts = opts;
    this.names = opts.pins.map((p) => p.name);
    this.#bank = new SwitchBank(this.names, opts.timing, opts.scheduler ?? realScheduler, opts.log);
  }

  onEvent(listener: FootswitchListener): () => void {
    return this.#bank.onEvent(listener);
  }

  async start(): Promise<void> {
    const sysfs = this.#opts.sysfsGpio ?? DEFAULT_GPIO_SYSFS;
    try {
      await access(sysfs);
    } catch (err) {
      throw new MidimonError('device_unavailable', `${sysfs} is absent (not a Raspberry Pi, or sysfs GPIO disabled)`, { cause: err, details: { path: sysfs } });
    }
    const chip = await detectGpioChip(sysfs);
    const factory = this.#opts.gpioFactory ?? (await loadOnoff());
    try {
      for (const pin of this.#opts.pins) {
        const number = sysfsGpioNumber(chip, pin.pin);
        const line = factory(number, pin.activeLow ?? true);
        this.#lines.push(line);
        const name = pin.name;
        line.watch((err, value) => {
          if (err) this.#opts.log.warn({ err, switch: name }, 'footswitch read failed');
          else this.#bank.level(name, value === 1);
        });
        // A switch already held at start (stuck, or a foot resting on it) starts as pressed.
        if (line.readSync() === 1) this.#bank.level(name, true);
      }
    } catch (err) {
      await this.stop();
      throw toMidimonError(err, 'device_io');
    }
    this.#opts.log.info({ chip: chip.label, base: chip.base, pins: this.#opts.pins.map((p) => `${p.name}=BCM${p.pin}`) }, 'footswitches ready');
  }

  async stop(): Promise<void> {
    this.#bank.reset();
    for (const line of this.#lines.splice(0)) {
      try {
        line.unwatchAll();
        line.unexport();
      } catch (err) {
        this.#opts.log.warn({ err }, 'GPIO unexport failed');
      }
    }
  }
}

async function loadOnoff(): Promise<GpioFactory> {
  try {
    const mod = await import('onoff');
    const Gpio = mod.Gpio;
    return (n, activeLow) => new Gpio(n, 'in', 'both', { activeLow, debounceTimeout: 0 }) as unknown as GpioLine;
  } catch (err) {
    throw new MidimonError('device_unavailable', `cannot load onoff: ${(err as Error).message}`, { cause: err });
  }
}
