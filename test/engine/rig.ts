// Test rig: drives the pure engine with a fake clock, executing timer effects
// itself so Delay / LongPress / note durations can be stepped deterministically.
import { engineConfigSchema, checkEngineReferences, type EngineConfigInput } from '../../src/config/mappings-schema.js';
import { MidiEngine, type EngineOptions } from '../../src/engine/engine.js';
import type { EngineConfig } from '../../src/engine/config-types.js';
import type { EngineEffect, EngineEvent, MidiOutEffect, PluginCallEffect, ModeChangedEffect, NoticeEffect } from '../../src/engine/types.js';

export function parseConfig(input: EngineConfigInput | Record<string, unknown>, plugins: readonly string[] = ['setlist', 'chord']): EngineConfig {
  const r = engineConfigSchema.safeParse(input);
  if (!r.success) throw new Error(`config invalid: ${JSON.stringify(r.error.issues)}`);
  const refs = checkEngineReferences(r.data, plugins);
  if (refs.length > 0) throw new Error(`config references: ${JSON.stringify(refs)}`);
  return r.data;
}

export class Rig {
  readonly engine: MidiEngine;
  now = 1_700_000_000_000;
  readonly effects: EngineEffect[] = [];
  readonly #timers = new Map<string, number>();

  constructor(config: EngineConfigInput | Record<string, unknown>, options: EngineOptions = {}) {
    this.engine = new MidiEngine(parseConfig(config), options);
  }

  send(event: EngineEvent): EngineEffect[] {
    const effects = this.engine.handle(event);
    for (const e of effects) {
      if (e.type === 'schedule-timer') this.#timers.set(e.id, e.at);
      if (e.type === 'cancel-timer') this.#timers.delete(e.id);
    }
    this.effects.push(...effects);
    return effects;
  }

  midi(bytes: number[], device = 'Pads'): EngineEffect[] {
    return this.send({ type: 'midi', device, bytes, at: this.now });
  }

  footswitch(name: string, gesture: 'press' | 'release' | 'long' | 'double'): EngineEffect[] {
    return this.send({ type: 'footswitch', switch: name, gesture, at: this.now });
  }

  /** Moves the clock, firing due timers in time order at their due time. */
  advance(ms: number): void {
    const end = this.now + ms;
    for (;;) {
      const due = [...this.#timers].filter(([, at]) => at <= end).sort((a, b) => a[1] - b[1])[0];
      if (due === undefined) break;
      this.#timers.delete(due[0]);
      this.now = due[1];
      this.send({ type: 'timer', id: due[0], at: due[1] });
    }
    this.now = end;
  }

  get pendingTimers(): number {
    return this.#timers.size;
  }

  /** Drains and returns the bytes sent since the last call (optionally to one output). */
  takeOut(output?: string): number[][] {
    const out = this.effects.filter((e): e is MidiOutEffect => e.type === 'midi-out' && (output === undefined || e.output === output));
    this.#drop((e) => out.includes(e as MidiOutEffect));
    return out.map((e) => [...e.bytes]);
  }

  takePluginCalls(): PluginCallEffect[] {
    const out = this.effects.filter((e): e is PluginCallEffect => e.type === 'plugin-call');
    this.#drop((e) => e.type === 'plugin-call');
    return out;
  }

  takeModeChanges(): ModeChangedEffect[] {
    const out = this.effects.filter((e): e is ModeChangedEffect => e.type === 'mode-changed');
    this.#drop((e) => e.type === 'mode-changed');
    return out;
  }

  takeNotices(): NoticeEffect[] {
    const out = this.effects.filter((e): e is NoticeEffect => e.type === 'notice');
    this.#drop((e) => e.type === 'notice');
    return out;
  }

  clear(): void {
    this.effects.length = 0;
  }

  #drop(pred: (e: EngineEffect) => boolean): void {
    const keep = this.effects.filter((e) => !pred(e));
    this.effects.length = 0;
    this.effects.push(...keep);
  }
}

export const on = (ch: number, note: number, vel: number): number[] => [0x90 | (ch - 1), note, vel];
export const off = (ch: number, note: number): number[] => [0x80 | (ch - 1), note, 0];
export const cc = (ch: number, n: number, v: number): number[] => [0xb0 | (ch - 1), n, v];
export const pc = (ch: number, p: number): number[] => [0xc0 | (ch - 1), p];
