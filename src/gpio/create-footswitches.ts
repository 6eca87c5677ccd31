import type { Logger } from '../log.js';
import { isMidimonError } from '../errors.js';
import { FakeFootswitches } from './fake-footswitches.js';
import { OnoffFootswitches, type OnoffFootswitchesOptions } from './onoff-footswitches.js';
import type { Footswitches } from './footswitches.js';

export interface CreatedFootswitches {
  readonly footswitches: Footswitches;
  /** Set when real GPIO was unavailable; the simulated box drives it from the keyboard. */
  readonly fake?: FakeFootswitches;
  /** On a box (not simulating): why the real switches could not start (the caller reports it). */
  readonly unavailable?: string;
}

/**
 * Starts the onoff backend, or falls back to FakeFootswitches when the host
 * has no usable GPIO (a laptop, CI, a container; on a Pi: sysfs GPIO absent,
 * permission denied), returning why in `unavailable` so the box reports it
 * (src/box/device-health.ts). Config errors (a pin that does not exist) are
 * not hidden behind the fallback.
 */
export async function startFootswitches(opts: OnoffFootswitchesOptions & { readonly simulate?: boolean; readonly log: Logger }): Promise<CreatedFootswitches> {
  if (opts.simulate !== true) {
    const real = new OnoffFootswitches(opts);
    try {
      await real.start();
      return { footswitches: real };
    } catch (err) {
      if (!isMidimonError(err, 'device_unavailable') && !isMidimonError(err, 'device_io')) throw err;
      const fake = new FakeFootswitches(opts.pins.map((p) => p.name), opts.timing, opts.scheduler);
      await fake.start();
      return { footswitches: fake, fake, unavailable: err.message };
    }
  }
  const fake = new FakeFootswitches(opts.pins.map((p) => p.name), opts.timing, opts.scheduler);
  await fake.start();
  return { footswitches: fake, fake };
}
