/**
 * The box's side of the MIDI clock: redraws for the beat indicator kept off
 * the tick path, and the `tempo` control command (`midimon tempo`).
 */
import type { TempoCommand, TempoInfo } from '../engine/types.js';
import { MidimonError } from '../errors.js';
import type { Scheduler } from '../runtime/ports.js';

/**
 * Coalesces redraw requests into one, run on the next timer turn: a beat
 * arrives inside a clock tick, and drawing a frame there would delay the
 * ticks and MIDI behind it.
 */
export class DeferredRefresh {
  readonly #scheduler: Scheduler;
  readonly #refresh: () => void;
  #pending: unknown;

  constructor(scheduler: Scheduler, refresh: () => void) {
    this.#scheduler = scheduler;
    this.#refresh = refresh;
  }

  readonly request = (): void => {
    if (this.#pending !== undefined) return;
    this.#pending = this.#scheduler.setTimeout(() => {
      this.#pending = undefined;
      this.#refresh();
    }, 0);
  };

  stop(): void {
    if (this.#pending !== undefined) this.#scheduler.clearTimeout(this.#pending);
    this.#pending = undefined;
  }
}

/** What `midimon tempo` may ask; at most one field (none: just report). */
export interface TempoRequest {
  readonly bpm?: number | undefined;
  readonly nudge?: number | undefined;
  readonly tap?: boolean | undefined;
  readonly transport?: 'start' | 'stop' | 'continue' | 'toggle' | undefined;
  readonly source?: 'internal' | 'external' | undefined;
}

export function tempoCommandOf(req: TempoRequest): TempoCommand | null {
  const given = [req.bpm, req.nudge, req.tap === true ? true : undefined, req.transport, req.source].filter((v) => v !== undefined);
  if (given.length > 1) throw new MidimonError('bad_request', 'give one of bpm, nudge, tap, transport or source');
  if (req.bpm !== undefined) return { kind: 'set', bpm: req.bpm };
  if (req.nudge !== undefined) return { kind: 'nudge', by: req.nudge };
  if (req.tap === true) return { kind: 'tap' };
  if (req.transport !== undefined) return { kind: 'transport', command: req.transport };
  if (req.source !== undefined) return { kind: 'source', source: req.source };
  return null;
}

/** The engine loop's tempo surface, as the control handler needs it. */
export interface TempoLoop {
  tempo(): TempoInfo | null;
  tempoCommand(command: TempoCommand, source: 'socket'): void;
}

/**
 * Runs one `tempo` request. A request the clock cannot honour (set while
 * following an external clock) is refused with the reason rather than
 * silently ignored.
 */
export function runTempoRequest(loop: TempoLoop | null, req: TempoRequest): TempoInfo {
  const before = loop?.tempo() ?? null;
  if (loop === null || before === null) throw new MidimonError('internal', 'the engine is not running');
  const command = tempoCommandOf(req);
  if (command === null) return before;
  if (before.source === 'external' && command.kind !== 'source') {
    throw new MidimonError('bad_request', 'the clock follows an external MIDI clock: tempo and start/stop come from it (midimon tempo source internal)');
  }
  loop.tempoCommand(command, 'socket');
  return loop.tempo() ?? before;
}
