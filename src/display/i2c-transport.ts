import { access, constants } from 'node:fs/promises';
import { MidimonError } from '../errors.js';
import type { HostPathUse } from '../system/unit-sandbox.js';

/** The character device i2c-bus opens for bus N. */
export const i2cDevicePath = (busNumber: number): string => `/dev/i2c-${busNumber}`;

/** What openI2cTransport() opens (checked against midimon.service by the unit-sandbox test). */
export function i2cUses(busNumber: number): HostPathUse[] {
  return [{ path: i2cDevicePath(busNumber), access: 'write', kind: 'device', group: 'i2c', deviceClass: 'char-i2c', by: 'OLED display (i2c-bus)' }];
}

/**
 * The only I2C operation the OLED drivers need: an asynchronous plain write
 * (i2c-bus runs it on the libuv thread pool, so the event loop never waits).
 */
export interface I2cTransport {
  write(address: number, bytes: Uint8Array): Promise<void>;
  close(): Promise<void>;
}

/** Opens /dev/i2c-N through `i2c-bus` (imported lazily: it is a native addon). */
export interface I2cDeps {
  /** Default fs.promises.access; tests make it fail with ENOENT/EACCES. */
  readonly access?: (path: string, mode: number) => Promise<void>;
  /** Default import('i2c-bus'); tests make it fail like a missing or wrong-architecture addon. */
  readonly load?: () => Promise<Pick<typeof import('i2c-bus'), 'openPromisified'>>;
}

export async function openI2cTransport(busNumber: number, deps: I2cDeps = {}): Promise<I2cTransport> {
  let mod: Pick<typeof import('i2c-bus'), 'openPromisified'>;
  try {
    mod = await (deps.load ?? (() => import('i2c-bus')))();
  } catch (err) {
    throw new MidimonError('device_unavailable', `cannot load i2c-bus: ${(err as Error).message}`, { cause: err });
  }
  const dev = i2cDevicePath(busNumber);
  // i2c-bus reports a missing or forbidden device node vaguely (or not at all): say which.
  try {
    await (deps.access ?? access)(dev, constants.R_OK | constants.W_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'absent (I2C is off: dtparam=i2c_arm=on in config.txt, module i2c-dev)' : code === 'EACCES' ? 'permission denied (the service user needs the i2c group)' : (err as Error).message;
    throw new MidimonError('device_unavailable', `${dev}: ${why}`, { cause: err, details: { bus: busNumber, path: dev, code: code ?? null } });
  }
  let bus: import('i2c-bus').PromisifiedBus;
  try {
    bus = await mod.openPromisified(busNumber);
  } catch (err) {
    throw new MidimonError('device_unavailable', `cannot open ${dev}: ${(err as Error).message}`, { cause: err, details: { bus: busNumber, path: dev } });
  }
  return {
    async write(address, bytes) {
      const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      await bus.i2cWrite(address, buf.length, buf);
    },
    async close() {
      await bus.close();
    },
  };
}
