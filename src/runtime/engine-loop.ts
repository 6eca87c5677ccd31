/**
 * The impure loop around the pure engine: events in (MIDI, footswitches,
 * timers, plugin host calls, mode commands, config reloads, device changes),
 * effects executed (MIDI out, plugin calls, timers, persisted mode, notices).
 * Events raised while effects run (a fake output looping back, a synchronous
 * callback) are queued, so effects always leave in the order the engine
 * produced them. Nothing here awaits on the MIDI path: plugin calls run in
 * the background and their host calls come back as events.
 */
import { MidiEngine } from '../engine/engine.js';
import type { EngineConfig } from '../engine/config-types.js';
import { inputNeeds, type InputNeeds } from '../engine/routing.js';
import { sysexTriggersWant } from '../engine/trigger-matcher.js';
import { deviceMatches } from '../engine/name-pattern.js';
import type { EngineEffect, EngineEvent, EngineSnapshot, ModeCommandSource, ModeTarget, TempoCommand, TempoInfo, TriggerFiredEffect } from '../engine/types.js';
import { tickIntervalMs } from '../engine/tempo.js';
import type { Logger } from '../log.js';
import type { EngineObserver, MidiSink, ModeStore, PluginCaller, Scheduler, SetlistStore } from './ports.js';
import { TickScheduler, type TickStats } from './tick-scheduler.js';
import { realTickTimer, type TickTimer } from './tick-timer.js';

export interface EngineLoopOptions {
  readonly config: EngineConfig;
  readonly scheduler: Scheduler;
  readonly midi: MidiSink;
  /** Absent: Plugin actions become "plugin_unavailable" notices. */
  readonly plugins?: PluginCaller | null;
  /** Absent: the mode is not remembered across restarts. */
  readonly modeStore?: ModeStore | null;
  /** Absent: the setlist position is not remembered across restarts. */
  readonly setlistStore?: SetlistStore | null;
  readonly log: Logger;
  readonly observer?: EngineObserver;
  /** Local time offset for TimeRange; default: the machine's time zone. */
  readonly utcOffsetMinutes?: (at: number) => number;
  /** Monotonic time for the MIDI clock's ticks (default: performance.now and Node's timers). */
  readonly tickTimer?: TickTimer;
  /** Tick scheduler's early wake-up before each deadline (ms); see TickScheduler. */
  readonly tickLeadMs?: number;
}

/** A plugin host call as PluginHost reports it (structural; see src/plugins/types.ts HostCall). */
export type HostCallLike =
  | { readonly fn: 'midi_send'; readonly bytes: readonly number[] }
  | { readonly fn: 'set_mode'; readonly mode: string }
  | { readonly fn: 'log'; readonly level: number; readonly message: string };

export interface EngineLoopStats {
  readonly events: number;
  readonly midiOut: number;
  readonly pluginCalls: number;
  readonly pluginFailures: number;
}

export class EngineLoop {
  readonly #opts: EngineLoopOptions;
  readonly #log: Logger;
  #config: EngineConfig;
  #engine: MidiEngine | null = null;
  readonly #timers = new Map<string, unknown>();
  readonly #queue: EngineEvent[] = [];
  #dispatching = false;
  #lastTrigger: TriggerFiredEffect | null = null;
  /**
   * Per plugin, the owners of its calls not yet settled, oldest first. The
   * host runs one plugin's calls in order, so the oldest is the one running:
   * its midi_send host calls (which arrive before the call settles) are its.
   */
  readonly #inFlight = new Map<string, Array<{ readonly owner: string }>>();
  #stats = { events: 0, midiOut: 0, pluginCalls: 0, pluginFailures: 0 };
  readonly #ticks: TickScheduler;

  constructor(options: EngineLoopOptions) {
    this.#opts = options;
    this.#log = options.log.child({ component: 'engine' });
    this.#config = options.config;
    this.#ticks = new TickScheduler({
      timer: options.tickTimer ?? realTickTimer,
      onTick: () => this.dispatch({ type: 'clock-tick', at: this.#opts.scheduler.now() }),
      ...(options.tickLeadMs === undefined ? {} : { leadMs: options.tickLeadMs }),
    });
  }

  /** Builds the engine with the persisted mode and announces it. */
  start(): void {
    if (this.#engine !== null) return;
    const offset = this.#opts.utcOffsetMinutes ?? ((at: number) => -new Date(at).getTimezoneOffset());
    this.#engine = new MidiEngine(this.#config, {
      restoredMode: this.#opts.modeStore?.mode ?? null,
      restoredSong: this.#opts.setlistStore?.songPosition ?? null,
      utcOffsetMinutes: offset,
    });
    this.#execute(this.#engine.startEffects(this.#opts.scheduler.now()));
  }

  /** Sends note-offs for everything still held, cancels timers. */
  stop(): void {
    if (this.#engine === null) return;
    this.#execute(this.#engine.releaseAll());
    for (const handle of this.#timers.values()) this.#opts.scheduler.clearTimeout(handle);
    this.#timers.clear();
    this.#ticks.stop();
    this.#queue.length = 0;
    this.#inFlight.clear();
    this.#engine = null;
  }

  get running(): boolean {
    return this.#engine !== null;
  }

  get config(): EngineConfig {
    return this.#config;
  }

  get lastTrigger(): TriggerFiredEffect | null {
    return this.#lastTrigger;
  }

  get stats(): EngineLoopStats {
    return { ...this.#stats };
  }

  snapshot(): EngineSnapshot | null {
    return this.#engine?.snapshot() ?? null;
  }

  /** Tempo, transport and song position; null before start. */
  tempo(): TempoInfo | null {
    return this.#engine?.snapshot().tempo ?? null;
  }

  /** The internal clock's tick counters (ticks sent, caught up after a busy loop, re-anchored). */
  get clockStats(): TickStats {
    return this.#ticks.stats;
  }

  /** A person asked for a tempo, transport or source change (CLI over the control socket, OLED menu). */
  tempoCommand(command: TempoCommand, source: ModeCommandSource): void {
    this.dispatch({ type: 'tempo-command', command, source, at: this.#opts.scheduler.now() });
  }

  /** For MidiDevices' ignoreTypes: what input `device` must deliver under the current routes. */
  inputNeeds(device: string, alias?: string): InputNeeds {
    let needs = inputNeeds(this.#config.routes, device, alias);
    if (!needs.sysex && sysexTriggersWant(this.#config, device, alias)) needs = { ...needs, sysex: true };
    // The clock follower needs F8/FA/FB/FC from its input; a configured `input` keeps it delivered so the
    // menu can switch to external without a reload.
    const c = this.#config.clock;
    const follows = (c.source === 'external' || c.input !== undefined) && (c.input === undefined || deviceMatches(c.input, device, alias));
    return follows && !needs.clock ? { ...needs, clock: true } : needs;
  }

  /** Feed any engine event (MidiDevices.onMessage/onDevice and the footswitches call this). */
  dispatch(event: EngineEvent): void {
    const engine = this.#engine;
    if (engine === null) return;
    if (this.#dispatching) {
      this.#queue.push(event);
      return;
    }
    this.#dispatching = true;
    try {
      this.#stats.events++;
      this.#execute(engine.handle(event));
      for (let next = this.#queue.shift(); next !== undefined && this.#engine !== null; next = this.#queue.shift()) {
        this.#stats.events++;
        this.#execute(this.#engine.handle(next));
      }
    } catch (err) {
      // The engine is written not to throw; if it ever does, keep the box alive and say so.
      this.#log.error({ err, event: event.type }, 'engine failed on an event');
      this.#opts.observer?.onNotice?.({ type: 'notice', level: 'error', code: 'engine_internal', message: (err as Error).message });
    } finally {
      this.#dispatching = false;
    }
  }

  /** A person asked for a mode (CLI over the control socket, OLED menu). */
  setMode(mode: ModeTarget, source: ModeCommandSource): void {
    this.dispatch({ type: 'mode-command', mode, source, at: this.#opts.scheduler.now() });
  }

  /** A person asked for a song: next, prev, a 0-based index or a name (CLI over the control socket, OLED menu). */
  setlist(target: 'next' | 'prev' | number | string, source: ModeCommandSource): void {
    this.dispatch({ type: 'setlist-command', target, source, at: this.#opts.scheduler.now() });
  }

  /** Hot reload: a validated config is applied in place. */
  replaceConfig(config: EngineConfig): void {
    this.#config = config;
    this.dispatch({ type: 'config-replaced', config, at: this.#opts.scheduler.now() });
  }

  /** All notes off + sustain off on every output channel the box used (`midimon panic`, the menu). */
  panic(source: string): void {
    this.dispatch({ type: 'panic', source, at: this.#opts.scheduler.now() });
  }

  /** The plugin's instance is gone (disabled, unloaded, reloaded): what it started is ended now. */
  pluginReset(plugin: string): void {
    this.dispatch({ type: 'plugin-reset', plugin, at: this.#opts.scheduler.now() });
  }

  /** PluginHost's onHostCall(plugin, call) lands here. */
  hostCall(plugin: string, call: HostCallLike): void {
    const at = this.#opts.scheduler.now();
    switch (call.fn) {
      case 'midi_send': {
        const owner = this.#inFlight.get(plugin)?.[0]?.owner;
        this.dispatch(owner === undefined ? { type: 'plugin-midi-send', plugin, bytes: call.bytes, at } : { type: 'plugin-midi-send', plugin, bytes: call.bytes, at, owner });
        break;
      }
      case 'set_mode':
        this.dispatch({ type: 'plugin-set-mode', plugin, mode: call.mode, at });
        break;
      case 'log':
        // PluginHost already wrote it to the journal, tagged and rate-limited.
        break;
    }
  }

  #execute(effects: readonly EngineEffect[]): void {
    for (const e of effects) {
      switch (e.type) {
        case 'midi-out':
          this.#stats.midiOut++;
          this.#opts.midi.send(e.output, e.bytes);
          break;
        case 'schedule-timer': {
          const previous = this.#timers.get(e.id);
          if (previous !== undefined) this.#opts.scheduler.clearTimeout(previous);
          const delay = Math.max(0, e.at - this.#opts.scheduler.now());
          const handle = this.#opts.scheduler.setTimeout(() => {
            this.#timers.delete(e.id);
            this.dispatch({ type: 'timer', id: e.id, at: Math.max(e.at, this.#opts.scheduler.now()) });
          }, delay);
          this.#timers.set(e.id, handle);
          break;
        }
        case 'cancel-timer': {
          const handle = this.#timers.get(e.id);
          if (handle !== undefined) this.#opts.scheduler.clearTimeout(handle);
          this.#timers.delete(e.id);
          break;
        }
        case 'plugin-call':
          this.#callPlugin(e.plugin, e.action, e);
          break;
        case 'mode-changed':
          this.#log.info({ mode: e.name, index: e.index, previous: e.previous, source: e.source }, 'mode changed');
          if (e.source !== 'startup') this.#persistMode(e.name);
          this.#opts.observer?.onModeChanged?.(e);
          break;
        case 'notice':
          this.#log[e.level]({ code: e.code }, e.message);
          this.#opts.observer?.onNotice?.(e);
          break;
        case 'trigger-fired':
          this.#lastTrigger = e;
          this.#log.debug({ mode: e.mode, mapping: e.mapping, trigger: e.trigger }, e.description);
          this.#opts.observer?.onTriggerFired?.(e);
          break;
        case 'clock-schedule':
          if (!e.running) this.#ticks.stop();
          else if (e.restart) this.#ticks.start(tickIntervalMs(e.bpm));
          else this.#ticks.retime(tickIntervalMs(e.bpm));
          break;
        case 'setlist-changed':
          this.#log.info({ song: e.index === null ? null : e.index + 1, name: e.name, mode: e.mode, count: e.count, source: e.source }, 'setlist position');
          this.#persistSong(e.index === null || e.name === null ? null : { index: e.index, name: e.name });
          this.#opts.observer?.onSetlistChanged?.(e);
          break;
        case 'tempo-changed':
          if (e.cause !== 'beat') this.#log.info({ bpm: e.tempo.bpm, running: e.tempo.running, source: e.tempo.source, locked: e.tempo.locked, cause: e.cause }, 'tempo');
          this.#opts.observer?.onTempo?.(e);
          break;
      }
    }
  }

  #persistMode(name: string): void {
    const store = this.#opts.modeStore;
    if (store == null) return;
    try {
      void Promise.resolve(store.setMode(name)).catch((err: unknown) => this.#log.error({ err }, 'cannot save the current mode'));
    } catch (err) {
      this.#log.error({ err }, 'cannot save the current mode');
    }
  }

  #persistSong(position: { index: number; name: string } | null): void {
    const store = this.#opts.setlistStore;
    if (store == null) return;
    try {
      void Promise.resolve(store.saveSongPosition(position)).catch((err: unknown) => this.#log.error({ err }, 'cannot save the setlist position'));
    } catch (err) {
      this.#log.error({ err }, 'cannot save the setlist position');
    }
  }

  #callPlugin(plugin: string, action: string, e: Extract<EngineEffect, { type: 'plugin-call' }>): void {
    const caller = this.#opts.plugins;
    this.#stats.pluginCalls++;
    const engine = this.#engine;
    // Every call with an owner is reported done, failed ones too: the engine releases what it holds.
    const call = e.owner === undefined ? undefined : { owner: e.owner };
    const done = (ok: boolean): void => {
      if (call === undefined || this.#engine !== engine) return;
      const list = this.#inFlight.get(plugin) ?? [];
      const i = list.indexOf(call);
      if (i >= 0) list.splice(i, 1);
      if (list.length === 0) this.#inFlight.delete(plugin);
      this.dispatch({ type: 'plugin-call-done', plugin, owner: call.owner, ok, at: this.#opts.scheduler.now() });
    };
    if (caller == null) {
      this.#pluginProblem('plugin_unavailable', 'warn', `plugin "${plugin}" is not loaded (action "${action}" skipped)`);
      done(false);
      return;
    }
    if (call !== undefined) {
      const list = this.#inFlight.get(plugin);
      if (list === undefined) this.#inFlight.set(plugin, [call]);
      else list.push(call);
    }
    let pending: Promise<unknown>;
    try {
      pending = caller.execute(plugin, action, e.context, e.params);
    } catch (err) {
      this.#pluginProblem('plugin_failed', 'error', `plugin "${plugin}" ${action}: ${(err as Error).message}`);
      done(false);
      return;
    }
    pending.then(
      (result) => {
        this.#opts.observer?.onPluginResult?.(plugin, action, result);
        const problem = describeResult(result);
        if (problem !== null) this.#pluginProblem('plugin_failed', problem.level, `plugin "${plugin}" ${action}: ${problem.message}`);
        done(!isFailure(result));
      },
      (err: unknown) => {
        this.#opts.observer?.onPluginResult?.(plugin, action, err);
        this.#pluginProblem('plugin_failed', 'error', `plugin "${plugin}" ${action}: ${(err as Error).message}`);
        done(false);
      },
    );
  }

  #pluginProblem(code: string, level: 'warn' | 'error', message: string): void {
    this.#stats.pluginFailures++;
    this.#log[level]({ code }, message);
    this.#opts.observer?.onNotice?.({ type: 'notice', level, code, message });
  }
}

/** The call did not run to its end (trap, timeout, crash, not loaded): PluginHost discarded the instance. */
function isFailure(result: unknown): boolean {
  return typeof result === 'object' && result !== null && (result as { status?: unknown }).status === 'error';
}

/** Reads PluginHost's ExecuteResult structurally: an error, or a non-zero return code. */
function describeResult(result: unknown): { level: 'warn' | 'error'; message: string } | null {
  if (typeof result !== 'object' || result === null) return null;
  const r = result as { status?: unknown; code?: unknown; meaning?: unknown; error?: { kind?: unknown; message?: unknown } };
  if (r.status === 'error') return { level: 'error', message: `${String(r.error?.kind ?? 'error')}: ${String(r.error?.message ?? '')}` };
  if (r.status === 'returned' && typeof r.code === 'number' && r.code !== 0) {
    return { level: 'warn', message: `returned ${r.code} (${String(r.meaning ?? 'failed')})` };
  }
  return null;
}
