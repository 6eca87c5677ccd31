/**
 * The shapes in which the outside world reaches the engine. Adapters
 * (src/midi, src/gpio) produce structurally identical objects from their own
 * contracts; the engine never imports a driver.
 */
export interface MidiInEvent {
  readonly type: 'midi';
  /** Device name without the ALSA ` client:port` suffix. */
  readonly device: string;
  readonly bytes: readonly number[];
  /** The port's alias from [devices.midi] inputs, when configured: patterns equal to it match too. */
  readonly alias?: string | undefined;
  /** Milliseconds, from the injected clock. */
  readonly at: number;
}

export type FootswitchGesture = 'press' | 'release' | 'long' | 'double';

export interface FootswitchEvent {
  readonly type: 'footswitch';
  /** Switch name from config ([[devices.footswitches]] name). */
  readonly switch: string;
  /** 'press': a short press, classified once it cannot become long or double. 'release': raw release. */
  readonly gesture: FootswitchGesture;
  readonly at: number;
}
