/**
 * The footswitch contract. Event shapes are structurally identical to
 * src/engine/inputs.ts FootswitchEvent, declared here so this adapter does not
 * import the engine (the composition root passes them straight through).
 */
export type FootswitchGesture = 'press' | 'release' | 'long' | 'double';

export interface FootswitchEvent {
  readonly type: 'footswitch';
  /** Switch name from config ([[devices.footswitches]] name). */
  readonly switch: string;
  /** 'press' is a short press reported once it cannot become long or double; 'release' is the raw release. */
  readonly gesture: FootswitchGesture;
  readonly at: number;
}

export type FootswitchListener = (event: FootswitchEvent) => void;

/** One switch from config. `pin` is the BCM number printed on pinout diagrams, never a sysfs number. */
export interface FootswitchPin {
  readonly name: string;
  readonly pin: number;
  /** Default true: switch to ground with the pull-up set in config.txt (`gpio=17,27=ip,pu`). */
  readonly activeLow?: boolean;
}

export interface GestureTiming {
  /** Changes within this many ms after an accepted change are bounces. Default 20. */
  readonly debounceMs: number;
  /** Held this long -> 'long' (and no short press). Default 600. */
  readonly longPressMs: number;
  /** A second press starting within this many ms after a short release -> 'double'. 0 disables doubles. Default 300. */
  readonly doublePressMs: number;
}

export const DEFAULT_GESTURE_TIMING: GestureTiming = { debounceMs: 20, longPressMs: 600, doublePressMs: 300 };

export { realScheduler, type Scheduler } from '../util/scheduler.js';

export interface Footswitches {
  /** Acquires the pins (exports GPIOs). Rejects with MidimonError('device_unavailable') when the backend cannot run. */
  start(): Promise<void>;
  /** Releases everything start() acquired (unexports GPIOs, cancels timers). Safe to call twice. */
  stop(): Promise<void>;
  /** Subscribes; returns the unsubscribe function. */
  onEvent(listener: FootswitchListener): () => void;
  /** Switch names, in config order. */
  readonly names: readonly string[];
}
