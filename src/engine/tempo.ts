/**
 * Tempo and MIDI clock (24 PPQN), pure. The box is either the master clock
 * (internal: the runtime's tick scheduler sends a ClockTickEvent when each
 * tick is due, this class turns it into F8 on the clock outputs) or follows
 * an incoming clock (external: F8 arrivals give the tempo, FA/FB/FC/F2 the
 * transport and song position). Time arrives in events; the clock asks the
 * engine for everything else through `TempoHost`.
 */
import { BEAT_DIVISIONS, type BeatDivision, type ClockCommand, type ClockConfig, type ClockSource } from './config-types.js';
import type { NoticeLevel, TempoChangedEffect, TempoCommand, TempoInfo } from './types.js';

export const PPQN = 24;
export const MIN_BPM = 20;
export const MAX_BPM = 300;
/** External clock: no F8 for this long means the clock is gone (unlock). 20 BPM ticks every 125 ms. */
export const EXTERNAL_TIMEOUT_MS = 500;
/** Ticks fitted (least squares) for the followed tempo: two beats. Millisecond timestamps average out. */
export const FOLLOW_WINDOW = 48;
/** Steady ticks before the follower reports lock (half a beat). */
export const LOCK_TICKS = 12;
/** An interval this many times off the current estimate is odd; JUMP_INTERVALS odd ones in a row restart the fit. */
const OUTLIER_RATIO = 2.5;
const JUMP_INTERVALS = 3;

export const CLOCK = 0xf8;
export const START = 0xfa;
export const CONTINUE = 0xfb;
export const STOP = 0xfc;
export const SONG_POSITION = 0xf2;

/** 20-300 BPM in steps of 0.1. */
export function quantizeBpm(bpm: number): number {
  if (!Number.isFinite(bpm)) return MIN_BPM;
  return Math.min(MAX_BPM, Math.max(MIN_BPM, Math.round(bpm * 10) / 10));
}

/** Milliseconds between two clock ticks at `bpm`. */
export function tickIntervalMs(bpm: number): number {
  return 60_000 / (bpm * PPQN);
}

export function ticksPerDivision(division: BeatDivision, beatsPerBar: number): number {
  return division === 'bar' ? PPQN * beatsPerBar : BEAT_DIVISIONS[division];
}

/** True when a statusbyte is one the clock follower reads (F8, FA, FB, FC, F2). */
export function isClockMessage(status: number | undefined): boolean {
  return status === CLOCK || status === START || status === CONTINUE || status === STOP || status === SONG_POSITION;
}

/** What the clock needs from the engine. */
export interface TempoHost {
  /** Bytes to every clock output. */
  send(bytes: readonly number[]): void;
  /** The internal tick schedule (runtime). */
  schedule(running: boolean, bpm: number, restart: boolean): void;
  changed(cause: TempoChangedEffect['cause']): void;
  /** A running tick at song position `tick` (Beat triggers). */
  tick(tick: number, at: number): void;
  notice(level: NoticeLevel, code: string, message: string): void;
  /** Call `watchdog(at)` at `at` (external clock loss). */
  armWatchdog(at: number): void;
}

export class TempoClock {
  #cfg: ClockConfig;
  readonly #host: TempoHost;
  #source: ClockSource;
  /** The internal tempo (kept while following, used again when switching back). */
  #bpm: number;
  #running = false;
  /** Song position in ticks of the last tick; -1: the next tick is the first of the song. */
  #tick = -1;
  #taps: number[] = [];
  /** Recent external F8 arrival times (at most FOLLOW_WINDOW + 1). */
  #times: number[] = [];
  #locked = false;
  #followed: number | null = null;
  #followedInterval: number | null = null;
  #oddIntervals = 0;
  #lastClockAt = Number.NEGATIVE_INFINITY;
  #watchdogArmed = false;

  constructor(config: ClockConfig, bpm: number, host: TempoHost) {
    this.#cfg = config;
    this.#host = host;
    this.#source = config.source;
    this.#bpm = quantizeBpm(bpm);
  }

  get source(): ClockSource {
    return this.#source;
  }

  get running(): boolean {
    return this.#running;
  }

  info(): TempoInfo {
    const bpb = this.#cfg.beats_per_bar;
    const beat = this.#tick < 0 ? 0 : Math.floor(this.#tick / PPQN);
    const external = this.#source === 'external';
    return {
      bpm: external ? (this.#followed ?? this.#bpm) : this.#bpm,
      running: this.#running,
      source: this.#source,
      locked: external ? this.#locked : true,
      tick: this.#tick,
      beat,
      bar: Math.floor(beat / bpb) + 1,
      beat_in_bar: (beat % bpb) + 1,
      beats_per_bar: bpb,
    };
  }

  /** Startup: the internal clock may start by itself. */
  start(): void {
    if (this.#cfg.autostart && this.#source === 'internal') this.#transport('start');
  }

  /** A person, an action or the config asks for something. `quiet`: no notice when it does not apply (mode tempos). */
  request(r: TempoCommand, at: number, quiet = false): void {
    switch (r.kind) {
      case 'set':
      case 'nudge':
      case 'tap':
        if (this.#source === 'external') {
          if (r.kind === 'set' && quiet) this.#bpm = quantizeBpm(r.bpm);
          else if (!quiet) this.#external('tempo');
          return;
        }
        if (r.kind === 'set') this.#setBpm(r.bpm);
        else if (r.kind === 'nudge') this.#setBpm(this.#bpm + r.by);
        else this.#tap(at);
        return;
      case 'transport':
        if (this.#source === 'external') {
          if (!quiet) this.#external('start/stop');
          return;
        }
        this.#transport(r.command);
        return;
      case 'source':
        this.#setSource(r.source);
        return;
    }
  }

  /** The runtime's scheduler: the next internal tick is due. */
  internalTick(at: number): void {
    // A tick already in flight when the clock stopped or the source changed is stale.
    if (this.#source !== 'internal' || !this.#running) return;
    this.#advance(at);
  }

  /** An incoming clock message from the followed input (the engine filters the device). */
  external(bytes: readonly number[], at: number): void {
    if (this.#source !== 'external') return;
    const status = bytes[0];
    if (this.#cfg.thru && isClockMessage(status)) this.#host.send(bytes);
    switch (status) {
      case CLOCK:
        this.#follow(at);
        if (this.#running) this.#advance(at, false);
        break;
      case START:
        this.#tick = -1;
        this.#setRunning(true);
        break;
      case CONTINUE:
        this.#setRunning(true);
        break;
      case STOP:
        this.#setRunning(false);
        break;
      case SONG_POSITION: {
        // Only meaningful while stopped (MIDI 1.0); 16th notes are 6 ticks.
        const lsb = bytes[1] ?? 0;
        const msb = bytes[2] ?? 0;
        if (this.#running || lsb > 0x7f || msb > 0x7f) break;
        this.#tick = ((msb << 7) | lsb) * 6 - 1;
        this.#host.changed('transport');
        break;
      }
    }
  }

  /** The watchdog armed through the host came due. */
  watchdog(at: number): void {
    this.#watchdogArmed = false;
    if (this.#source !== 'external' || this.#lastClockAt === Number.NEGATIVE_INFINITY) return;
    if (at - this.#lastClockAt < EXTERNAL_TIMEOUT_MS) {
      this.#arm(this.#lastClockAt + EXTERNAL_TIMEOUT_MS);
      return;
    }
    this.#lastClockAt = Number.NEGATIVE_INFINITY;
    this.#times = [];
    this.#oddIntervals = 0;
    const was = this.#locked;
    this.#locked = false;
    if (this.#running) {
      this.#running = false;
      this.#host.changed('transport');
    }
    if (was) {
      this.#host.notice('warn', 'clock_lost', `external MIDI clock lost (no clock for ${EXTERNAL_TIMEOUT_MS} ms)`);
      this.#host.changed('lock');
    }
  }

  /** Hot reload: the running clock survives; only settings whose value changed apply. */
  reconfigure(next: ClockConfig, at: number): void {
    const prev = this.#cfg;
    this.#cfg = next;
    if (next.source !== prev.source) this.#setSource(next.source);
    if (next.bpm !== prev.bpm) this.request({ kind: 'set', bpm: next.bpm }, at, true);
    if (next.tap_reset_ms !== prev.tap_reset_ms || next.tap_average !== prev.tap_average) this.#taps = [];
  }

  /** Shutdown: slaves get a Stop rather than a clock that just ends. */
  shutdown(): void {
    if (this.#source === 'internal' && this.#running) this.#transport('stop');
  }

  // ---------------------------------------------------------------- internal

  #setBpm(bpm: number): void {
    const q = quantizeBpm(bpm);
    if (q === this.#bpm) return;
    this.#bpm = q;
    if (this.#running) this.#host.schedule(true, q, false);
    this.#host.changed('tempo');
  }

  #tap(at: number): void {
    const last = this.#taps[this.#taps.length - 1];
    if (last === undefined || at <= last || at - last > this.#cfg.tap_reset_ms) this.#taps = [at];
    else this.#taps.push(at);
    if (this.#taps.length > this.#cfg.tap_average + 1) this.#taps.shift();
    const n = this.#taps.length;
    if (n < 2) return;
    const mean = ((this.#taps[n - 1] as number) - (this.#taps[0] as number)) / (n - 1);
    this.#setBpm(60_000 / mean);
  }

  #transport(command: ClockCommand): void {
    switch (command) {
      case 'start':
        this.#tick = -1;
        this.#host.send([START]);
        this.#running = true;
        this.#host.schedule(true, this.#bpm, true);
        this.#host.changed('transport');
        return;
      case 'stop':
        if (!this.#running) return;
        this.#running = false;
        this.#host.send([STOP]);
        this.#host.schedule(false, this.#bpm, false);
        this.#host.changed('transport');
        return;
      case 'continue': {
        if (this.#running) return;
        // Resume on a 16th-note boundary the receivers can be told with a Song Position Pointer.
        const sixteenths = Math.min(0x3fff, Math.max(0, Math.floor((this.#tick + 1) / 6)));
        this.#tick = sixteenths * 6 - 1;
        this.#host.send([SONG_POSITION, sixteenths & 0x7f, sixteenths >> 7]);
        this.#host.send([CONTINUE]);
        this.#running = true;
        this.#host.schedule(true, this.#bpm, true);
        this.#host.changed('transport');
        return;
      }
      case 'toggle':
        this.#transport(this.#running ? 'stop' : this.#tick < 0 ? 'start' : 'continue');
        return;
    }
  }

  #advance(at: number, sendClock = true): void {
    this.#tick++;
    if (sendClock) this.#host.send([CLOCK]);
    this.#host.tick(this.#tick, at);
    if (this.#tick % PPQN === 0) this.#host.changed('beat');
  }

  #setSource(source: ClockSource): void {
    if (source === this.#source) return;
    if (this.#source === 'internal' && this.#running) this.#transport('stop');
    this.#source = source;
    this.#running = false;
    this.#times = [];
    this.#locked = false;
    this.#followed = null;
    this.#followedInterval = null;
    this.#oddIntervals = 0;
    this.#lastClockAt = Number.NEGATIVE_INFINITY;
    this.#host.changed('source');
  }

  #setRunning(running: boolean): void {
    if (this.#running === running) return;
    this.#running = running;
    this.#host.changed('transport');
  }

  #external(what: string): void {
    this.#host.notice('info', 'clock_external', `the clock follows an external MIDI clock: ${what} comes from it (switch source to internal to set it here)`);
  }

  // ---------------------------------------------------------------- follower

  #follow(at: number): void {
    const prev = this.#times[this.#times.length - 1];
    const expected = this.#followedInterval;
    if (prev !== undefined && expected !== null) {
      // One odd interval is arrival jitter (a delayed tick and the next right behind it) and the fit
      // averages it out; three in a row are a new tempo: start the fit over from the last interval.
      const interval = at - prev;
      const odd = interval > expected * OUTLIER_RATIO || interval * OUTLIER_RATIO < expected;
      this.#oddIntervals = odd ? this.#oddIntervals + 1 : 0;
      if (this.#oddIntervals >= JUMP_INTERVALS) {
        this.#times = this.#times.slice(-1);
        this.#oddIntervals = 0;
        this.#followedInterval = null;
      }
    }
    this.#times.push(at);
    if (this.#times.length > FOLLOW_WINDOW + 1) this.#times.shift();
    this.#lastClockAt = at;
    if (!this.#watchdogArmed) this.#arm(at + EXTERNAL_TIMEOUT_MS);
    if (this.#times.length < 3) {
      if (prev !== undefined && this.#followedInterval === null) this.#followedInterval = at - prev;
      return;
    }
    const slope = fitSlope(this.#times);
    if (slope <= 0) return;
    this.#followedInterval = slope;
    const bpm = Math.round((60_000 / (slope * PPQN)) * 10) / 10;
    const lockNow = !this.#locked && this.#times.length > LOCK_TICKS;
    if (lockNow) this.#locked = true;
    if (this.#locked && bpm !== this.#followed) {
      this.#followed = bpm;
      if (!lockNow) this.#host.changed('tempo');
    }
    if (lockNow) {
      this.#host.notice('info', 'clock_locked', `following external MIDI clock at ${bpm.toFixed(1)} BPM`);
      this.#host.changed('lock');
    }
  }

  #arm(at: number): void {
    this.#watchdogArmed = true;
    this.#host.armWatchdog(at);
  }
}

/** Least-squares slope of times against their index: milliseconds per tick. */
function fitSlope(times: readonly number[]): number {
  const n = times.length;
  const xMean = (n - 1) / 2;
  let yMean = 0;
  for (const t of times) yMean += t;
  yMean /= n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    const dx = i - xMean;
    num += dx * ((times[i] as number) - yMean);
    den += dx * dx;
  }
  return num / den;
}
