/**
 * The box's event stream for `midimon monitor` and the OLED Monitor page:
 * MIDI in and out, footswitch gestures, triggers, plugin results, mode
 * changes and notices. Publishing is synchronous and costs one length check
 * when nobody listens (plus a copy into the Monitor page's ring for MIDI); listeners must not block (the control socket's
 * MonitorStream only queues).
 */
import type { MonitorEvent } from '../control/monitor-protocol.js';
import type { MidiInEvent, ModeChangedEffect, NoticeEffect, TriggerFiredEffect } from '../engine/types.js';
import { describeMidi } from '../midi/describe-midi.js';
import type { MidiMonitor } from '../runtime/midi-runtime.js';
import { MidiRecent } from './monitor-recent.js';

export type MonitorListener = (event: MonitorEvent) => void;

export class MonitorBus implements MidiMonitor {
  readonly #listeners = new Set<MonitorListener>();
  readonly #now: () => number;
  /** The last messages in and out (the OLED Monitor page), kept whether or not anyone listens. */
  readonly recent = new MidiRecent();

  constructor(now: () => number) {
    this.#now = now;
  }

  get active(): boolean {
    return this.#listeners.size > 0;
  }

  subscribe(listener: MonitorListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  publish(event: MonitorEvent): void {
    for (const l of this.#listeners) {
      try {
        l(event);
      } catch {
        // A broken listener must not reach the MIDI path.
      }
    }
  }

  midiIn(event: MidiInEvent, injected: boolean): void {
    this.recent.record('in', event.alias ?? event.device, event.bytes, event.at);
    if (!this.active) return;
    this.publish({ type: 'midi-in', at: event.at, device: event.device, ...(event.alias === undefined ? {} : { alias: event.alias }), bytes: [...event.bytes], text: describeMidi(event.bytes), injected });
  }

  midiOut(output: string, bytes: readonly number[], ports: number): void {
    this.recent.record('out', output, bytes, this.#now());
    if (!this.active) return;
    this.publish({ type: 'midi-out', at: this.#now(), output, bytes: [...bytes], text: describeMidi(bytes), ports });
  }

  footswitch(name: string, gesture: string, injected: boolean, at: number): void {
    if (this.active) this.publish({ type: 'footswitch', at, switch: name, gesture, injected });
  }

  trigger(e: TriggerFiredEffect): void {
    if (this.active) this.publish({ type: 'trigger', at: e.at, mode: e.mode, mapping: e.mapping + 1, trigger: e.trigger, description: e.description });
  }

  mode(e: ModeChangedEffect, count: number): void {
    if (this.active) this.publish({ type: 'mode', at: this.#now(), name: e.name, number: e.index + 1, count, previous: e.previous, source: e.source });
  }

  notice(e: NoticeEffect): void {
    if (this.active) this.publish({ type: 'notice', at: this.#now(), level: e.level, code: e.code, message: e.message });
  }

  /** PluginHost's ExecuteResult, read structurally (the engine loop passes it through as unknown). */
  pluginResult(plugin: string, action: string, result: unknown): void {
    if (!this.active) return;
    const r = (typeof result === 'object' && result !== null ? result : {}) as {
      status?: unknown;
      code?: unknown;
      meaning?: unknown;
      error?: { kind?: unknown; message?: unknown };
      fuel?: unknown;
      micros?: unknown;
    };
    const cost = { ...(typeof r.fuel === 'number' ? { fuel: r.fuel } : {}), ...(typeof r.micros === 'number' ? { us: Math.round(r.micros) } : {}) };
    const at = this.#now();
    if (r.status === 'returned' && typeof r.code === 'number') {
      this.publish({ type: 'plugin', at, plugin, action, status: 'returned', code: r.code, ...(typeof r.meaning === 'string' ? { meaning: r.meaning } : {}), ...cost });
    } else {
      const error = r.status === 'error' ? { kind: String(r.error?.kind ?? 'internal'), message: String(r.error?.message ?? '') } : { kind: 'internal', message: result instanceof Error ? result.message : 'no result' };
      this.publish({ type: 'plugin', at, plugin, action, status: 'error', error, ...cost });
    }
  }
}
