import type { Logger } from '../log.js';
import { GestureDetector } from './gesture-detector.js';
import { realScheduler, type FootswitchEvent, type FootswitchListener, type GestureTiming, type Scheduler } from './footswitches.js';

/** Listener set + one gesture detector per switch: shared by the onoff backend and the fake. */
export class SwitchBank {
  readonly #listeners = new Set<FootswitchListener>();
  readonly #detectors = new Map<string, GestureDetector>();
  readonly #log: Logger | undefined;

  constructor(names: readonly string[], timing: Partial<GestureTiming> = {}, scheduler: Scheduler = realScheduler, log?: Logger) {
    this.#log = log;
    for (const name of names) this.#detectors.set(name, new GestureDetector(name, (e) => this.#emit(e), timing, scheduler));
  }

  onEvent(listener: FootswitchListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  level(name: string, pressed: boolean): void {
    this.#detectors.get(name)?.input(pressed);
  }

  has(name: string): boolean {
    return this.#detectors.has(name);
  }

  reset(): void {
    for (const d of this.#detectors.values()) d.reset();
  }

  #emit(event: FootswitchEvent): void {
    for (const l of this.#listeners) {
      try {
        l(event);
      } catch (err) {
        // One failing subscriber must not silence the switches for the others.
        this.#log?.error({ err, event }, 'footswitch listener threw');
      }
    }
  }
}
