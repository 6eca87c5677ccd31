import { MidimonError } from '../errors.js';

/**
 * The only I2C operation the OLED drivers need: an asynchronous plain write
 * (i2c-bus runs it on the libuv thread pool, so the event loop never waits).
 */
export interface I2cTransport {
  write(address: number, bytes: Uint8Array): Promise<void>;
  close(): Promise<void>;
}

/** Opens /dev/i2c-N through `i2c-bus` (imported lazily: it is a native addon). */
export async function openI2cTransport(busNumber: number): Promise<I2cTransport> {
  let mod: typeof import('i2c-bus');
  try {
    mod = await import('i2c-bus');
  } catch (err) {
    throw new MidimonError('device_unavailable', `cannot load i2c-bus: ${(err as Error).message}`, { cause: err });
  }
  let bus: import('i2c-bus').PromisifiedBus;
  try {
    bus = await mod.openPromisified(busNumber);
  } catch (err) {
    throw new MidimonError('device_unavailable', `cannot open /dev/i2c-${busNumber}: ${(err as Error).message}`, { cause: err, details: { bus: busNumber } });
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
